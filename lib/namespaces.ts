/**
 * A process in another PID namespace (a container) knows itself by other
 * numbers: events carry both the host's pid/tid and the namespace's.
 */
import * as fs from 'fs';

function ownPidNamespace(): number {
  return fs.statSync('/proc/self/ns/pid').ino;
}

/** The innermost id in a /proc status file's NSpid line. */
function innermost(statusPath: string): number | undefined {
  try {
    const m = /^NSpid:\s*(.*)$/m.exec(fs.readFileSync(statusPath, 'utf8'));
    const ids = m ? m[1].trim().split(/\s+/).map(Number) : [];
    return ids.length > 1 ? ids[ids.length - 1] : undefined;
  } catch {
    return undefined; // the thread is gone: its ids cannot be told any more
  }
}

export class NamespaceIds {
  private readonly own = ownPidNamespace();
  /** pid -> its namespace pid, or null when it shares ours. */
  private pids = new Map<number, number | null>();
  private tids = new Map<number, number | undefined>();

  /** The namespace's ids of a host pid/tid, or null when it shares ours. */
  of(pid: number, tid: number): { nsPid: number; nsTid: number | undefined } | null {
    let nsPid = this.pids.get(pid);
    if (nsPid === undefined) {
      nsPid = null;
      try {
        if (fs.statSync(`/proc/${pid}/ns/pid`).ino !== this.own) nsPid = innermost(`/proc/${pid}/status`) ?? null;
      } catch {
        /* gone */
      }
      this.pids.set(pid, nsPid);
      // Its threads now, while they live: one may end before its first event is decoded.
      if (nsPid !== null) for (const t of this.threads(pid)) if (!this.tids.has(t)) this.tids.set(t, innermost(`/proc/${pid}/task/${t}/status`));
    }
    if (nsPid === null) return null;
    if (!this.tids.has(tid)) this.tids.set(tid, tid === pid ? nsPid : innermost(`/proc/${pid}/task/${tid}/status`));
    return { nsPid, nsTid: this.tids.get(tid) };
  }

  private threads(pid: number): number[] {
    try {
      return fs.readdirSync(`/proc/${pid}/task`).map(Number);
    } catch {
      return [];
    }
  }

  forget(pid: number): void {
    this.pids.delete(pid);
  }
}
