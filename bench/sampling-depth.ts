/**
 * Where the sampler's kernel time goes: BPF time per sample (bpf_stats) of
 * one busy thread at three stack depths, fitted to fixed + perFrame x depth.
 * The per-frame part is the walk's reads (each frame: its owner, code
 * pointer, the code object's first bytes, its two strings' length and hash,
 * instruction, link; and its share of the record's copy); the fixed part is
 * the rest of a sample: the profiled-process lookup, finding the thread
 * state, reserving and submitting the record in the ring buffer.
 */
import { profile } from '../lib/api/profile';
import { BpfProfiler, bpfStatsAvailable } from './bpfstats';
import { PausedPython } from './workload';

export interface DepthCost {
  points: { depth: number; nsPerSample: number; samples: number }[];
  perFrameNs: number;
  fixedNs: number;
}

/** Extra Python frames the workload's recursion adds, per run. */
const DEPTHS = [0, 70, 145];

async function onePoint(python: string, extra: number, seconds: number) {
  const bpf = new BpfProfiler();
  bpf.start();
  let frames = 0;
  let samples = 0;
  let nsPerSample: number;
  try {
    const w = await PausedPython.start(python, ['deep', extra, seconds]);
    try {
      const p = await profile(w.pid, { hz: 999 });
      p.on('sample', (s) => {
        frames += s.frames.length;
        samples++;
      });
      w.release();
      await w.finished();
      bpf.sample();
      await p.close();
      await w.finish();
    } finally {
      w.kill();
    }
  } finally {
    nsPerSample = bpf.stop(100).find((p) => p.name.startsWith('sample_to'))?.nsPerRun ?? NaN;
  }
  return { depth: samples ? frames / samples : NaN, nsPerSample, samples };
}

/** Least squares of ns on depth, each depth's the median of `rounds` interleaved runs; null without bpf_stats. */
export async function samplingDepthCost(
  python: string,
  seconds: number,
  rounds: number,
  log: (s: string) => void,
): Promise<DepthCost | null> {
  if (!bpfStatsAvailable()) return null;
  const runs: Awaited<ReturnType<typeof onePoint>>[][] = DEPTHS.map(() => []);
  for (let r = 0; r < rounds; r++)
    for (let i = 0; i < DEPTHS.length; i++) {
      const point = await onePoint(python, DEPTHS[i], seconds);
      log(`sampling depth: ${point.depth.toFixed(0)} frames: ${point.nsPerSample.toFixed(0)} ns a sample`);
      runs[i].push(point);
    }
  const points = runs.map((rs) => [...rs].sort((a, b) => a.nsPerSample - b.nsPerSample)[Math.floor(rs.length / 2)]);
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.depth, 0) / n;
  const my = points.reduce((a, p) => a + p.nsPerSample, 0) / n;
  const sxy = points.reduce((a, p) => a + (p.depth - mx) * (p.nsPerSample - my), 0);
  const sxx = points.reduce((a, p) => a + (p.depth - mx) ** 2, 0);
  const perFrameNs = sxy / sxx;
  return { points, perFrameNs, fixedNs: my - perFrameNs * mx };
}

export function renderDepthCost(d: DepthCost | null): string {
  if (!d) return '  BPF time by stack depth: unavailable (no bpf_stats)\n';
  const lines = ['  BPF time per sample by stack depth (bpf_stats, 999 Hz):'];
  for (const p of d.points)
    lines.push(`    ${p.depth.toFixed(0).padStart(4)} frames: ${p.nsPerSample.toFixed(0).padStart(6)} ns`);
  lines.push(
    `    = ${d.fixedNs.toFixed(0)} ns a sample (process and thread lookup, ring output) + ${d.perFrameNs.toFixed(1)} ns a frame (frame reads)`,
  );
  const at = (depth: number, hz: number) => (100 * (d.fixedNs + d.perFrameNs * depth) * hz) / 1e9;
  lines.push(
    `    kernel time of one busy thread's samples, as a share of its CPU: at 99 Hz ${at(20, 99).toFixed(3)}% (20 frames), ${at(150, 99).toFixed(3)}% (150 frames)`,
  );
  return lines.join('\n') + '\n';
}
