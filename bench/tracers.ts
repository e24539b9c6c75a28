/** One traced run of the workload: under bpftrace, or under pytrace in this process. */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { attach, AttachOptions } from '../lib/api/trace';
import { FrameEvent } from '../lib/markers';
import { BpfProfiler } from './bpfstats';
import { Sampler } from './stats';
import { PausedPython, sleep, withTimeout, WORK_FUNCTION, WorkloadResult } from './workload';

export interface RunResult extends WorkloadResult {
  /** Events of work() that reached the tool's output; null when the tool reports none. */
  delivered: number | null;
  lost: number;
}

/** How to read what bpftrace delivered: its map's total, or the lines naming work(). */
export type BpftraceOutput = 'map' | 'lines' | 'none';

/**
 * bpftrace -p PID with the program, printing to a file (no pipe for this
 * process to drain). BEGIN runs once every probe is attached: the workload
 * is released only after its READY line.
 */
export async function runBpftrace(
  python: string,
  args: (string | number)[],
  program: string,
  output: BpftraceOutput,
  profiler?: BpfProfiler,
): Promise<RunResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pytrace-bench-'));
  const outFile = path.join(dir, 'out');
  const fd = fs.openSync(outFile, 'w');
  const py = await PausedPython.start(python, args);
  let err = '';
  const bt = spawn('bpftrace', ['-p', String(py.pid), '-e', `BEGIN { printf("READY\\n"); } ${program}`], {
    stdio: ['ignore', fd, 'pipe'],
  });
  fs.closeSync(fd);
  bt.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const btExit = new Promise<number | null>((resolve) => bt.on('exit', (code) => resolve(code)));
  try {
    const t0 = Date.now();
    while (!fs.readFileSync(outFile, 'utf8').includes('READY\n')) {
      if (bt.exitCode !== null) throw new Error(`bpftrace failed: ${err.trim()}`);
      if (Date.now() - t0 > 60000) throw new Error('timed out waiting for bpftrace to attach');
      await sleep(10);
    }
    py.release();
    const result = await py.finished();
    profiler?.sample();
    await py.finish();
    // bpftrace -p ends with its target, printing its maps.
    await withTimeout(btExit, 120000, 'bpftrace to exit');
    const text = fs.readFileSync(outFile, 'utf8');
    let delivered: number | null = null;
    if (output === 'map') {
      delivered = 0;
      for (const m of text.matchAll(/^@\w*: (\d+)$/gm)) delivered += Number(m[1]);
    } else if (output === 'lines') {
      delivered = 0;
      const needle = `\n${WORK_FUNCTION}\n`;
      for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length - 1)) delivered++;
    }
    let lost = 0;
    for (const m of (text + err).matchAll(/Lost (\d+) events/g)) lost += Number(m[1]);
    return { ...result, delivered, lost };
  } finally {
    py.kill();
    if (bt.exitCode === null) bt.kill('SIGINT');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface PytraceRunOptions {
  attach?: AttachOptions;
  /** Samples event-to-listener latency (microseconds) of every k-th event. */
  latency?: Sampler;
  profiler?: BpfProfiler;
  /** Called once attached, and once the run is over (e.g. to sample memory). */
  onAttached?: () => void;
}

/** attach() in this process, a listener counting the workload's events. */
export async function runPytrace(
  python: string,
  args: (string | number)[],
  event: 'function-return' | 'function-entry',
  options: PytraceRunOptions = {},
): Promise<RunResult> {
  const py = await PausedPython.start(python, args);
  try {
    const trace = await attach(py.pid, { ...options.attach, events: [event] });
    let delivered = 0;
    const sampler = options.latency;
    // The plain counter is the listener of the cost runs: nothing else on the path.
    if (sampler)
      trace.on(event, (ev: FrameEvent) => {
        if (ev.function === WORK_FUNCTION) delivered++;
        if (sampler.due()) sampler.take(Number(process.hrtime.bigint() - ev.ts) / 1e3);
      });
    else
      trace.on(event, (ev: FrameEvent) => {
        if (ev.function === WORK_FUNCTION) delivered++;
      });
    const closed = new Promise<void>((resolve) => trace.once('close', () => resolve()));
    options.onAttached?.();
    py.release();
    const result = await py.finished();
    options.profiler?.sample();
    await py.finish();
    await withTimeout(closed, 120000, 'the trace to close');
    return { ...result, delivered, lost: trace.stats().lost };
  } finally {
    py.kill();
  }
}
