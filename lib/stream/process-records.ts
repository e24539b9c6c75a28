/**
 * The fork, exec and exit records of native/bpf/process_events.bpf.h, as
 * events. What a trace does with them is lib/api/processes.ts.
 */
import { layout } from '../native';

/** Record types: enum pt_event_type in native/bpf/usdt_event.h. */
export const FORK_RECORD = layout.eventType.PT_EV_FORK;
export const EXEC_RECORD = layout.eventType.PT_EV_EXEC;
export const EXIT_RECORD = layout.eventType.PT_EV_EXIT;
/** enum pt_fork_flags (native/bpf/process_events.h) */
const FORK_FOLLOWED = layout.forkFlags.PT_FORK_FOLLOWED;
/** enum pt_exec_flags: held for JS (not for the reader's own attach) */
const EXEC_HELD = layout.execFlags.PT_EXEC_HELD;
const EXEC_OTHER_PROGRAM = layout.execFlags.PT_EXEC_OTHER_PROGRAM;
const EXEC_NEW_PROCESS = layout.execFlags.PT_EXEC_NEW_PROCESS;

export interface ForkEvent {
  type: 'fork';
  /** The parent, and its thread that forked. */
  pid: number;
  tid: number;
  ts: bigint;
  child: number;
  /** The child is traced (`subprocesses`); otherwise it runs untraced, its semaphores lowered. */
  traced: boolean;
}

export interface ExecEvent {
  type: 'exec';
  pid: number;
  tid: number;
  ts: bigint;
  /** The new program's path as given to execve. */
  executable: string;
}

/** An exec record: held, it waits for resume() once the trace has decided about the new program. */
export interface ExecRecord extends ExecEvent {
  held: boolean;
  /** A process not traced before, that exec'd a traced file (a binary's profile). */
  newProcess?: true;
}

export interface ExitEvent {
  type: 'exit';
  pid: number;
  tid?: number;
  ts?: bigint;
  /** 'exit': the process ended; 'exec': it runs a program that is not traced (see `executable`, `message`). */
  reason: 'exit' | 'exec';
  /** Its exit status, or the signal that ended it (when the kernel's record of its end arrived). */
  code?: number;
  signal?: number;
  executable?: string;
  message?: string;
}

export type ProcessRecord = ForkEvent | ExecRecord | ExitEvent;

/** A process record's fields (the header's pid, tid, ts, args; string 0 for exec). */
export function processRecord(
  type: number,
  pid: number,
  tid: number,
  ts: bigint,
  a0: number,
  a1: number,
  str0: () => string,
): ProcessRecord | null {
  switch (type) {
    case FORK_RECORD:
      return { type: 'fork', pid, tid, ts, child: a0, traced: (a1 & FORK_FOLLOWED) !== 0 };
    case EXEC_RECORD:
      return {
        type: 'exec',
        pid,
        tid,
        ts,
        executable: str0(),
        held: (a1 & EXEC_HELD) !== 0 && (a1 & EXEC_OTHER_PROGRAM) !== 0,
        ...((a1 & EXEC_NEW_PROCESS) !== 0 && { newProcess: true as const }),
      };
    case EXIT_RECORD: {
      // A wait status: exit code in bits 8-15, or the signal in the low 7.
      const signal = a0 & 0x7f;
      return signal
        ? { type: 'exit', pid, tid, ts, reason: 'exit', signal }
        : { type: 'exit', pid, tid, ts, reason: 'exit', code: (a0 >> 8) & 0xff };
    }
    default:
      return null;
  }
}
