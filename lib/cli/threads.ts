/** Thread names, as SystemTap's execname() gives them: the task's comm. */
import * as fs from 'fs';
import * as path from 'path';

/** The kernel keeps 15 bytes of a command's name. */
export const TASK_COMM_LEN = 15;

export function commOfPath(file: string): string {
  return path.basename(file).slice(0, TASK_COMM_LEN);
}

function readComm(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').replace(/\n$/, '');
  } catch {
    return undefined;
  }
}

/**
 * Read once per thread, when its first event is printed. A thread already gone
 * (events drain after the process exits) falls back to its process's name,
 * then to `fallback` (the name exec gave the traced command).
 */
export class ThreadNames {
  private byTid = new Map<number, string>();
  private byPid = new Map<number, string>();

  constructor(private fallback: string) {}

  of(pid: number, tid: number): string {
    let name = this.byTid.get(tid);
    if (name === undefined) {
      name = readComm(`/proc/${pid}/task/${tid}/comm`) ?? this.ofProcess(pid);
      if (this.byTid.size >= 65536) this.byTid.clear();
      this.byTid.set(tid, name);
    }
    return name;
  }

  private ofProcess(pid: number): string {
    let name = this.byPid.get(pid);
    if (name === undefined) {
      name = readComm(`/proc/${pid}/comm`) ?? this.fallback;
      this.byPid.set(pid, name);
    }
    return name;
  }

  /** Names read before the target exits, when they can still be read. */
  remember(pid: number): void {
    const name = readComm(`/proc/${pid}/comm`);
    if (name !== undefined) this.byPid.set(pid, name);
  }
}
