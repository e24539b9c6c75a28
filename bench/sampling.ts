/**
 * Stack sampling's cost to the target, pytrace against py-spy in the same
 * run: the workload's call rate over a fixed time, untraced and sampled at 99
 * and 999 Hz (py-spy: its default mode, which pauses the target per sample,
 * and --nonblocking); and the BPF program's time per sample (bpf_stats).
 * py-spy comes from PYTRACE_BENCH_PYSPY or PATH; without it those rows are
 * left out, saying so.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { profile } from '../lib/api/profile';
import { BpfProfiler, bpfStatsAvailable } from './bpfstats';
import { DepthCost, renderDepthCost, samplingDepthCost } from './sampling-depth';
import { PausedPython, sleep } from './workload';

export interface SamplingRow {
  tool: string;
  hz: number | null;
  /** Calls a second of the workload, the best round's (on a shared machine the least disturbed run is the truest). */
  callsPerSecond: number;
  /** Against the untraced rate: 0.05 = 5% slower. */
  slowdown: number;
  samples?: number;
}

export interface SamplingResults {
  rows: SamplingRow[];
  /** BPF program time per sample at 999 Hz, in ns (null: bpf_stats unavailable). */
  kernelNsPerSample: number | null;
  /** The same, by stack depth: fixed and per-frame parts. */
  depth: DepthCost | null;
  pySpy: string | null;
}

type Config = { tool: 'untraced' | 'pytrace' | 'py-spy' | 'py-spy --nonblocking'; hz: number | null };

function pySpyPath(): string | null {
  const given = process.env.PYTRACE_BENCH_PYSPY;
  if (given) return fs.existsSync(given) ? given : null;
  try {
    return execFileSync('sh', ['-c', 'command -v py-spy'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

async function oneRun(
  python: string,
  seconds: number,
  c: Config,
  pySpy: string | null,
  bpf?: BpfProfiler,
): Promise<{ rate: number; samples?: number }> {
  const w = await PausedPython.start(python, ['seconds', seconds]);
  let spy: ChildProcess | undefined;
  let spyExited: Promise<unknown> | undefined;
  const out = path.join(os.tmpdir(), `pytrace-bench-pyspy-${process.pid}.txt`);
  try {
    if (c.tool === 'pytrace') {
      const p = await profile(w.pid, { hz: c.hz! });
      w.release();
      const r = await w.finished();
      bpf?.sample();
      await p.close();
      await w.finish();
      return { rate: r.calls / r.seconds, samples: p.stats().delivered };
    }
    if (c.tool !== 'untraced') {
      const args = [
        'record',
        '--pid',
        String(w.pid),
        '--rate',
        String(c.hz),
        '--format',
        'raw',
        '--output',
        out,
        ...(c.tool === 'py-spy --nonblocking' ? ['--nonblocking'] : []),
      ];
      spy = spawn(pySpy!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      spyExited = new Promise((resolve) => spy!.once('exit', resolve));
      let err = '';
      spy.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
      // It says so once it samples.
      for (let t = 0; t < 5000 && !/Sampling process/.test(err); t += 10) await sleep(10);
    }
    w.release();
    const r = await w.finished();
    await w.finish();
    if (spyExited) await spyExited;
    const samples =
      spy && fs.existsSync(out)
        ? fs
            .readFileSync(out, 'utf8')
            .split('\n')
            .filter(Boolean)
            .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0)
        : undefined;
    return { rate: r.calls / r.seconds, samples };
  } finally {
    w.kill();
    spy?.kill('SIGKILL');
    fs.rmSync(out, { force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function samplingSection(
  python: string,
  seconds: number,
  rounds: number,
  log: (s: string) => void,
): Promise<SamplingResults> {
  const pySpy = pySpyPath();
  if (!pySpy) log('sampling: py-spy not found (PYTRACE_BENCH_PYSPY or PATH): its rows are left out');
  const configs: Config[] = [{ tool: 'untraced', hz: null }];
  for (const hz of [99, 999]) {
    configs.push({ tool: 'pytrace', hz });
    if (pySpy) configs.push({ tool: 'py-spy', hz }, { tool: 'py-spy --nonblocking', hz });
  }
  const rates = new Map<Config, number[]>(configs.map((c) => [c, []]));
  const samples = new Map<Config, number[]>(configs.map((c) => [c, []]));
  // Interleaved rounds: a machine's drift spreads over every configuration alike.
  for (let r = 0; r < rounds; r++)
    for (const c of configs) {
      const got = await oneRun(python, seconds, c, pySpy);
      rates.get(c)!.push(got.rate);
      if (got.samples !== undefined) samples.get(c)!.push(got.samples);
      log(
        `sampling: round ${r + 1} ${c.tool}${c.hz ? ' ' + c.hz + ' Hz' : ''}: ${(got.rate / 1e6).toFixed(2)} M calls/s`,
      );
    }
  const base = Math.max(...rates.get(configs[0])!);
  const rows = configs.map((c) => {
    const rate = Math.max(...rates.get(c)!);
    const s = samples.get(c)!;
    return {
      tool: c.tool,
      hz: c.hz,
      callsPerSecond: rate,
      slowdown: base / rate - 1,
      ...(s.length ? { samples: median(s) } : {}),
    };
  });
  let kernelNsPerSample: number | null = null;
  if (bpfStatsAvailable()) {
    const bpf = new BpfProfiler();
    bpf.start();
    try {
      await oneRun(python, seconds, { tool: 'pytrace', hz: 999 }, null, bpf);
    } finally {
      const progs = bpf.stop(100);
      kernelNsPerSample = progs.find((p) => p.name.startsWith('sample_to'))?.nsPerRun ?? null;
    }
  }
  const depth = await samplingDepthCost(python, Math.min(seconds, 2), rounds, log);
  return { rows, kernelNsPerSample, depth, pySpy };
}

export function renderSampling(r: SamplingResults): string {
  const lines = [
    '',
    `Stack sampling: cost to the target (calls/s of one busy thread, best of the rounds), same run${r.pySpy ? '' : ' (py-spy not found)'}`,
  ];
  lines.push('  tool                  Hz     M calls/s  slowdown  samples');
  const pt = (hz: number) => r.rows.find((x) => x.tool === 'pytrace' && x.hz === hz);
  for (const x of r.rows)
    lines.push(
      `  ${x.tool.padEnd(20)}  ${String(x.hz ?? '-').padStart(4)}  ${(x.callsPerSecond / 1e6).toFixed(3).padStart(10)}  ${(100 * x.slowdown).toFixed(2).padStart(7)}%  ${String(x.samples ?? '-').padStart(7)}`,
    );
  for (const hz of [99, 999]) {
    const ours = pt(hz);
    for (const peer of ['py-spy', 'py-spy --nonblocking']) {
      const theirs = r.rows.find((x) => x.tool === peer && x.hz === hz);
      if (ours && theirs && theirs.slowdown > 0)
        lines.push(`  at ${hz} Hz pytrace's slowdown / ${peer}'s: ${(ours.slowdown / theirs.slowdown).toFixed(3)}`);
    }
  }
  lines.push(
    `  BPF time per sample (bpf_stats, 999 Hz): ${r.kernelNsPerSample === null ? 'unavailable' : r.kernelNsPerSample.toFixed(0) + ' ns'}`,
  );
  return lines.join('\n') + '\n' + renderDepthCost(r.depth);
}
