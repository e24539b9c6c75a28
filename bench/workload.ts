/** The Python side of the benchmark: bench/workload.py, started paused. */
import { ChildProcess, spawn } from 'child_process';
import * as path from 'path';

/** Beside the benchmark's sources (compiled to bench/dist/bench/). */
export const WORKLOAD = path.resolve(__dirname, '..', '..', 'workload.py');
/** Its function under test: every event of the workload comes from it. */
export const WORK_FUNCTION = 'work';

export interface WorkloadResult {
  calls: number;
  /** time.perf_counter() around the calls, inside Python: tool start-up is not in it. */
  seconds: number;
}

/**
 * A Python process that has started and printed "ready", blocked on a read
 * of its stdin: a tracer attaches, then release() lets it run. It stops
 * again after its calls (still traced: per-program figures can be read).
 */
export class PausedPython {
  readonly pid: number;
  private out = '';
  private err = '';
  private exited: Promise<number | null>;

  private constructor(private child: ChildProcess) {
    this.pid = child.pid!;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.out += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.err += d));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  static async start(python: string, args: (string | number)[]): Promise<PausedPython> {
    const child = spawn(python, [WORKLOAD, ...args.map(String)], { stdio: ['pipe', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', () => resolve());
    });
    const p = new PausedPython(child);
    await p.until(() => p.out.includes('ready\n'), 20000, 'the workload to start');
    return p;
  }

  release(): void {
    this.child.stdin!.write('x');
  }

  /** The workload's figures, printed once its calls are done; it then waits for finish(). */
  async finished(timeoutMs = 600000): Promise<WorkloadResult> {
    await this.until(() => /^\{.*\}$/m.test(this.out), timeoutMs, 'the workload to finish');
    return JSON.parse(this.out.split('\n').find((l) => l.startsWith('{'))!) as WorkloadResult;
  }

  /** Lets it exit, and waits for that. */
  async finish(timeoutMs = 30000): Promise<void> {
    this.child.stdin!.end('x');
    const code = await withTimeout(this.exited, timeoutMs, 'the workload to exit');
    if (code !== 0) throw new Error(`workload failed (exit ${code}): ${this.err.trim()}`);
  }

  async result(): Promise<WorkloadResult> {
    const r = await this.finished();
    await this.finish();
    return r;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }

  private async until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const t0 = Date.now();
    while (!done()) {
      if (this.child.exitCode !== null) throw new Error(`workload exited before ${what}: ${this.err.trim()}`);
      if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
      await sleep(5);
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs the workload with nothing attached. */
export async function untraced(python: string, args: (string | number)[]): Promise<WorkloadResult> {
  const p = await PausedPython.start(python, args);
  p.release();
  return p.result();
}
