/**
 * On-CPU samples per function, for the Pythons whose build fires no call
 * markers (3.12 to 3.14, PEP 669), or for all where calls are not counted:
 * each such process is sampled all along by
 * the stack sampler, and each sample counts once for its innermost frame's
 * function. Counted here between reads, taken into the metrics at each read.
 */
import { profile, Profile, ProfileStats } from '../api/profile';
import { describeBinary } from '../discovery/describe';
import { PythonProcess } from './discovery';

export interface SampleCount {
  pid: number;
  filename: string;
  function: string;
  count: number;
}

/** Of the samples of every process sampled, since the last read (the agent's health). */
export interface SampleHealth {
  /** Sample events delivered: each also counted once in the SampleCounts of the same read. */
  delivered: number;
  /** Samples that hit a thread of a sampled process: delivered, lost, or failed to unwind. */
  taken: number;
  lost: number;
  unwindFailures: ProfileStats['unwindFailures'];
}

type Tally = Omit<SampleHealth, 'delivered'>;

function noSamples(): Tally {
  return {
    taken: 0,
    lost: 0,
    unwindFailures: { noThreadState: 0, readFault: 0, notCode: 0, noFrames: 0, staleFrame: 0 },
  };
}

/** a += b - before, field by field. */
function addGrowth(a: Tally, b: ProfileStats, before: Tally): void {
  a.taken += b.taken - before.taken;
  a.lost += b.lost - before.lost;
  for (const k of Object.keys(a.unwindFailures) as (keyof Tally['unwindFailures'])[])
    a.unwindFailures[k] += b.unwindFailures[k] - before.unwindFailures[k];
}

export class SampledProcesses {
  private profiles = new Map<number, Profile | null>();
  private pending = new Map<string, SampleCount>();
  private delivered = 0;
  /** Per process, its profile's stats at the last read; and the growth of those gone since. */
  private readStats = new Map<number, Tally>();
  private gone = noSamples();
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
      this.readStats.set(p.pid, noSamples());
      prof.on('sample', (s) => {
        const leaf = s.frames[0];
        if (!leaf) return; // never sent: a walk with no frame is an unwind failure
        this.delivered++;
        const key = `${s.pid}\u0000${leaf.filename}\u0000${leaf.function}`;
        const c = this.pending.get(key);
        if (c) c.count++;
        else this.pending.set(key, { pid: s.pid, filename: leaf.filename, function: leaf.function, count: 1 });
      });
    } catch (e) {
      this.failed(`pid ${p.pid} (${p.binary}): samples`, e);
    }
  }

  /** The samples since the last read, and the health figures of the same span. */
  read(): { counts: SampleCount[]; health: SampleHealth } {
    const counts = [...this.pending.values()];
    this.pending.clear();
    const tally = this.gone;
    this.gone = noSamples();
    for (const [pid, before] of this.readStats) {
      const stats = this.profiles.get(pid)?.stats();
      if (!stats) continue;
      addGrowth(tally, stats, before);
      this.readStats.set(pid, stats);
    }
    const health = { ...tally, delivered: this.delivered };
    this.delivered = 0;
    return { counts, health };
  }

  async exited(pid: number): Promise<void> {
    const p = this.profiles.get(pid);
    this.profiles.delete(pid);
    await p?.close();
    // Its last samples (delivered by close()) and counts go into the next read.
    const before = this.readStats.get(pid);
    this.readStats.delete(pid);
    if (p && before) addGrowth(this.gone, p.stats(), before);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pid of [...this.profiles.keys()]) await this.exited(pid);
  }
}
