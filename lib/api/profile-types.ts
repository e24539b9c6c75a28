/** The public types of profile(): its samples, stats, events and targets. */
import { CommandTarget } from './profile-command';
import { LostReport } from './trace-events';

export interface SampleFrame {
  function: string;
  filename: string;
  /** null: the code object has no line for this instruction. */
  lineno: number | null;
  /** The code object's address in the target. */
  code?: number;
}

export interface SampleEvent {
  pid: number;
  tid: number;
  /** In the process's own PID namespace, where it differs. */
  nsPid?: number;
  nsTid?: number;
  /** CLOCK_MONOTONIC, ns. */
  ts: bigint;
  /** Innermost first. */
  frames: SampleFrame[];
  /** The stack was deeper than the kernel walks (innermost frames only), or a name was cut. */
  truncated?: boolean;
  /** `idle`: the thread was not on a CPU; the timer over the thread list took this sample. */
  offCpu?: true;
}

export interface ProfileStats {
  /** Samples that hit a thread of the process. */
  taken: number;
  /** Sample events emitted. */
  delivered: number;
  /** Walked, but the transport or the reader could not keep them. */
  lost: number;
  /** Left out by the `threads` option. */
  filtered: number;
  /** Walks that failed, by reason: nothing was sent for them. */
  unwindFailures: {
    noThreadState: number;
    readFault: number;
    notCode: number;
    noFrames: number;
    /** A frame not where the thread's data stack has it (a chain read mid-update): 3.11/3.12. */
    staleFrame: number;
  };
  /** Samples sent cut at the depth limit. */
  cut: number;
  /** `idle`: samples of threads off the CPU, taken by the timer (in `delivered` too; not in `taken`). */
  offCpu: number;
  /** Frames whose code object could not be read any more (sent with "<unknown>" names). */
  unsymbolized: number;
  transport: 'ring' | 'perf';
  /** Processes sampled so far: the target, its children (`subprocesses`), a binary's. */
  processes: number;
}

/** The profiled process ended: the profile closes after its last samples. */
export interface ProfileExit {
  pid: number;
}

export interface ProfileListeners {
  sample: [sample: SampleEvent];
  lost: [report: LostReport];
  exit: [report: ProfileExit];
  close: [];
}

/**
 * A PID; or a binary (a python executable or libpython): every process
 * running it, now and started later (lib/api/profile-binary.ts), or only
 * `pid` of them.
 */
export type ProfileTarget = number | { binary: string; pid?: number } | CommandTarget;
