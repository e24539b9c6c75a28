/**
 * Per-program BPF run time (kernel.bpf_stats_enabled, read with bpftool):
 * splits a traced call's cost into the BPF program and the rest (the uprobe
 * trap and the return to user space). Stats cost a little per run, so they
 * are only on in dedicated runs, never in the timed ones.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';

const SYSCTL = '/proc/sys/kernel/bpf_stats_enabled';

interface ProgInfo {
  id: number;
  type?: string;
  name?: string;
  run_time_ns?: number;
  run_cnt?: number;
}

export interface ProgTime {
  name: string;
  runs: number;
  nsPerRun: number;
}

function progs(): ProgInfo[] {
  try {
    return JSON.parse(
      execFileSync('bpftool', ['prog', 'show', '-j'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
    );
  } catch {
    return [];
  }
}

export function bpfStatsAvailable(): boolean {
  try {
    fs.accessSync(SYSCTL, fs.constants.W_OK);
    execFileSync('bpftool', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Names of the uprobe/kprobe programs loaded now. Run when the benchmark has
 * nothing attached: any found belong to other tracers, which may also fire
 * in the workload (a system-wide attach to the same python) and inflate costs.
 */
export function otherTracers(): string[] {
  return progs()
    .filter((p) => p.type === 'kprobe')
    .map((p) => p.name ?? `id ${p.id}`);
}

/** Turns the stats on until stop(); sample() reads the programs loaded since start(). */
export class BpfProfiler {
  private before = new Set<number>();
  private last = new Map<number, ProgInfo>();
  private previous = '0';

  start(): void {
    this.previous = fs.readFileSync(SYSCTL, 'utf8').trim();
    fs.writeFileSync(SYSCTL, '1');
    for (const p of progs()) this.before.add(p.id);
  }

  /** Call it while the programs are still loaded (the workload is paused after its calls). */
  sample(): void {
    for (const p of progs()) if (!this.before.has(p.id)) this.last.set(p.id, p);
  }

  /** Restores the sysctl; returns the programs that ran at least `minRuns` times, busiest first. */
  stop(minRuns = 1000): ProgTime[] {
    fs.writeFileSync(SYSCTL, this.previous);
    return [...this.last.values()]
      .filter((p) => (p.run_cnt ?? 0) >= minRuns)
      .map((p) => ({ name: p.name ?? `id ${p.id}`, runs: p.run_cnt!, nsPerRun: (p.run_time_ns ?? 0) / p.run_cnt! }))
      .sort((a, b) => b.runs - a.runs);
  }
}
