/**
 * On-CPU samples per function, for the Pythons whose build fires no call
 * markers (3.12 to 3.14, PEP 669), or for all where calls are not counted:
 * each such process is sampled all along by
 * the stack sampler, and each sample counts once for its innermost frame's
 * function. Counted here between reads, taken into the metrics at each read.
 */
import { profile, Profile } from '../api/profile';
import { describeBinary } from '../discovery/describe';
import { PythonProcess } from './discovery';

export interface SampleCount {
  pid: number;
  filename: string;
  function: string;
  count: number;
}

export class SampledProcesses {
  private profiles = new Map<number, Profile | null>();
  private pending = new Map<string, SampleCount>();
  /** Per binary file: whether its build fires the call markers (then calls are counted instead). */
  private callsFire = new Map<string, boolean>();
  private closed = false;

  constructor(
    private readonly hz: number,
    /** Every process, not only those whose build fires no call markers. */
    private readonly all: boolean,
    private readonly failed: (what: string, error: unknown) => void,
  ) {}

  /** Whether `p` is sampled. */
  has(pid: number): boolean {
    return Boolean(this.profiles.get(pid));
  }

  /** Starts sampling `p` if its build fires no call markers (once per process). */
  async cover(p: PythonProcess): Promise<void> {
    if (this.closed || this.profiles.has(p.pid)) return;
    let fires = this.all ? false : this.callsFire.get(p.fileKey);
    if (fires === undefined) {
      try {
        fires = describeBinary(p.hostPath).events['function-entry'].available;
      } catch {
        return; // its process went with its root: the next look tells
      }
      this.callsFire.set(p.fileKey, fires);
    }
    if (fires) return;
    this.profiles.set(p.pid, null);
    try {
      const prof = await profile(p.pid, { hz: this.hz });
      if (this.closed) return void prof.close();
      this.profiles.set(p.pid, prof);
      prof.on('sample', (s) => {
        const leaf = s.frames[0];
        if (!leaf) return;
        const key = `${s.pid}\u0000${leaf.filename}\u0000${leaf.function}`;
        const c = this.pending.get(key);
        if (c) c.count++;
        else this.pending.set(key, { pid: s.pid, filename: leaf.filename, function: leaf.function, count: 1 });
      });
    } catch (e) {
      this.failed(`pid ${p.pid} (${p.binary}): samples`, e);
    }
  }

  /** The samples since the last read. */
  read(): SampleCount[] {
    const out = [...this.pending.values()];
    this.pending.clear();
    return out;
  }

  async exited(pid: number): Promise<void> {
    const p = this.profiles.get(pid);
    this.profiles.delete(pid);
    await p?.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pid of [...this.profiles.keys()]) await this.exited(pid);
  }
}
