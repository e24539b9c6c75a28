/**
 * Processes that change under the trace: the fork, exec and exit records of
 * native/bpf/process_events.bpf.h, and which processes a trace still follows.
 * The trace of a process ends when the last process it follows is gone: it
 * exited, or it exec'd a program pytrace cannot trace.
 */
import * as fs from 'fs';
import { linkedLibpython, markerObjectOf } from '../discovery/binaries';
import { assertTraceable, describeBinary, Description } from '../discovery/describe';

import type { ExecEvent, ForkEvent } from '../stream/process-records';
export type { ExecEvent, ExecRecord, ExitEvent, ForkEvent, ProcessRecord } from '../stream/process-records';

/** A file as the kernel names it (struct pt_file_id): its device is major << 20 | minor. */
export function kernelFileId(path: string): { dev: number; ino: bigint } | null {
  try {
    const st = fs.statSync(path, { bigint: true });
    const major = Number(((st.dev >> 8n) & 0xfffn) | ((st.dev >> 32n) & ~0xfffn));
    const minor = Number((st.dev & 0xffn) | ((st.dev >> 12n) & ~0xffn & 0xffffffffn));
    return { dev: ((major << 20) | minor) >>> 0, ino: st.ino };
  } catch {
    return null;
  }
}

/** The distinct files of `paths`, as the kernel names them. */
export function fileIds(paths: string[]): { dev: number; ino: bigint }[] {
  const ids = new Map<string, { dev: number; ino: bigint }>();
  for (const p of paths) {
    const id = kernelFileId(p);
    if (id) ids.set(`${id.dev}:${id.ino}`, id);
  }
  return [...ids.values()];
}

/** A file's identity, to tell whether an exec'd program is one the uprobes are on. */
function identity(path: string): string | null {
  try {
    const st = fs.statSync(path);
    return `${st.dev}:${st.ino}`;
  } catch {
    return null;
  }
}

/**
 * The program a process exec'd, as this process can open it: where
 * /proc/PID/exe leads (the file's own name tells its version), else the path
 * given to execve (the process may be gone already).
 */
export function execdProgram(pid: number, executable: string): string {
  try {
    const real = fs.readlinkSync(`/proc/${pid}/exe`);
    if (fs.existsSync(`/proc/${pid}/root${real}`)) return `/proc/${pid}/root${real}`;
  } catch {
    /* gone */
  }
  if (!executable.startsWith('/')) return executable;
  return fs.existsSync(`/proc/${pid}/root${executable}`) ? `/proc/${pid}/root${executable}` : executable;
}

/**
 * What a program a process exec'd offers, from the file rather than the
 * process (a libpython it links may not be mapped yet); throws when it is not
 * a Python with markers.
 */
export function describeExecd(program: string): Description {
  try {
    return assertTraceable(describeBinary(markerObjectOf(program)));
  } catch (e) {
    // Through the process's root while it lived; it may have exited since.
    const plain = program.replace(/^\/proc\/\d+\/root\//, '/');
    if (plain === program) throw e;
    return assertTraceable(describeBinary(markerObjectOf(plain)));
  }
}

/** What a trace does about an exec: the kernel goes on (same program), attach anew, or end that process's trace. */
export type ExecOutcome = { traced: true } | { traced: false; message: string };

export class TracedProcesses {
  private live = new Set<number>();
  private ended = new Set<number>();
  private files: Set<string>;

  /**
   * `root`: the traced process; `files`: the objects its uprobes are on;
   * `attachAfterExec`: attaches to a process that exec'd another program
   * (throws when it is not a Python with markers).
   */
  constructor(
    readonly root: number,
    files: string[],
    private attachAfterExec: (pid: number, executable: string) => string[],
  ) {
    this.live.add(root);
    this.files = new Set(files.map(identity).filter((i): i is string => i !== null));
  }

  get count(): number {
    return this.live.size;
  }

  follows(pid: number): boolean {
    return this.live.has(pid);
  }

  hasEnded(pid: number): boolean {
    return this.ended.has(pid);
  }

  forked(ev: ForkEvent): void {
    if (!ev.traced || !this.live.has(ev.pid)) return;
    this.live.add(ev.child);
    this.ended.delete(ev.child); // a pid used again
  }

  /** The same program, or one attached anew: traced; else the reason it is not. */
  execd(ev: ExecEvent): ExecOutcome {
    const program = execdProgram(ev.pid, ev.executable);
    // The uprobes are on that file, or on the libpython it links: the kernel
    // puts them in the new image (and raises its semaphores) as it maps it.
    const plain = program.replace(/^\/proc\/\d+\/root\//, '/');
    for (const p of new Set([program, plain])) {
      const lib = linkedLibpython(p);
      for (const f of [p, ...(lib ? [lib] : [])]) if (this.files.has(identity(f) ?? '')) return { traced: true };
    }
    try {
      for (const f of this.attachAfterExec(ev.pid, program)) {
        const i = identity(f);
        if (i) this.files.add(i);
      }
      return { traced: true };
    } catch (e) {
      return { traced: false, message: (e as Error).message };
    }
  }

  /** Notes the end of a process's trace; false if it had ended already. */
  end(pid: number): boolean {
    if (this.ended.has(pid)) return false;
    this.ended.add(pid);
    this.live.delete(pid);
    return true;
  }
}
