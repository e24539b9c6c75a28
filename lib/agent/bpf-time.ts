/**
 * The kernel's run time and run count of the agent's own BPF programs (those
 * its process holds), read from /proc/self/fdinfo: the run_time_ns and
 * run_cnt of bpf_prog_info, which the kernel counts only while
 * kernel.bpf_stats_enabled=1. Programs come and go with the processes
 * sampled, so each read adds every program's growth since the previous read:
 * the totals never go down. What a program ran between its last read and its
 * unloading is not seen: at most one scan interval, where a profile closes
 * itself as its process exits (the agent reads before it closes any).
 */
import * as fs from 'fs';

interface ProgramTime {
  ns: number;
  runs: number;
}

/** run_time_ns and run_cnt of the program behind `fd`, or undefined if `fd` is not a BPF program. */
function programTime(fd: string): { id: number; time: ProgramTime } | undefined {
  try {
    if (fs.readlinkSync(`/proc/self/fd/${fd}`) !== 'anon_inode:bpf-prog') return undefined;
    const info = fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s*(\\d+)$`, 'm').exec(info)?.[1] ?? NaN);
    const id = field('prog_id');
    if (!Number.isFinite(id)) return undefined;
    return { id, time: { ns: field('run_time_ns') || 0, runs: field('run_cnt') || 0 } };
  } catch {
    return undefined; // closed since the directory was listed
  }
}

export class BpfTime {
  private last = new Map<number, ProgramTime>();

  /** Run time (ns) and runs of the agent's programs since the previous read. */
  read(): ProgramTime {
    const now = new Map<number, ProgramTime>();
    let fds: string[];
    try {
      fds = fs.readdirSync('/proc/self/fdinfo');
    } catch {
      return { ns: 0, runs: 0 };
    }
    for (const fd of fds) {
      const p = programTime(fd);
      if (p) now.set(p.id, p.time);
    }
    const grown = { ns: 0, runs: 0 };
    for (const [id, t] of now) {
      const before = this.last.get(id) ?? { ns: 0, runs: 0 };
      grown.ns += Math.max(0, t.ns - before.ns);
      grown.runs += Math.max(0, t.runs - before.runs);
    }
    this.last = now;
    return grown;
  }
}
