/**
 * CLI tests run the built CLI (npm run build first) against real python3.11
 * processes. Targets print "ready" and wait on stdin; the CLI says on stderr
 * when it has attached: the test lets the target go only then.
 */
import { ChildProcess, spawn } from 'child_process';
import * as path from 'path';

export const CLI = path.resolve(__dirname, '../../dist/cli/main.js');
/** Debian's build has the markers; a `python3` on PATH may not. */
export const PYTHON = '/usr/bin/python3.11';
export const SCRIPTS = path.resolve(__dirname, '../cli-scripts');
export const script = (name: string) => path.join(SCRIPTS, name);

export const ATTACHED = /^pytrace: tracing .*Ctrl-C to stop$/m;
export const FINISHED = /^pytrace: (\d+) events, (\d+) lost$/m;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const running = new Set<Proc>();

/** A child whose output is kept, and can be waited for. */
export class Proc {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<Exit>;
  stdout = '';
  stderr = '';
  private alive = true;

  constructor(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
    this.pid = this.child.pid!;
    this.child.stdout!.setEncoding('utf8').on('data', (s: string) => (this.stdout += s));
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => (this.stderr += s));
    this.child.stdin!.on('error', () => undefined);
    running.add(this);
    this.exited = new Promise((resolve) =>
      this.child.on('close', (code, signal) => {
        this.alive = false;
        running.delete(this);
        resolve({ code, signal });
      }),
    );
  }

  /** Complete stdout lines so far (a line still being written is left out). */
  get lines(): string[] {
    return this.stdout.slice(0, this.stdout.lastIndexOf('\n') + 1).split('\n').filter((l) => l !== '');
  }

  /** Resolves once `re` matches the stream's text so far; rejects after `ms`. */
  async waitFor(re: RegExp, stream: 'stdout' | 'stderr' = 'stdout', ms = 15000): Promise<RegExpMatchArray> {
    const end = Date.now() + ms;
    for (;;) {
      const m = this[stream].match(re);
      if (m) return m;
      if (!this.alive || Date.now() > end)
        throw new Error(`${re} not seen on ${stream} (${this.alive ? 'timed out' : 'exited'})\nstdout:\n${this.stdout.slice(-2000)}\nstderr:\n${this.stderr.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  write(s: string): void {
    this.child.stdin!.write(s);
  }

  endInput(): void {
    this.child.stdin!.end();
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.alive) this.child.kill(signal);
  }
}

/** The CLI, as a user runs it. */
export function pytrace(...args: string[]): Proc {
  return new Proc(process.execPath, [CLI, ...args]);
}

/** The CLI with these environment variables added (COLUMNS, ...). */
export function pytraceWith(env: NodeJS.ProcessEnv, ...args: string[]): Proc {
  return new Proc(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
}

/** A python3.11 target, once it printed "ready". */
export async function target(name: string, ...args: string[]): Promise<Proc> {
  const p = new Proc(PYTHON, [script(name), ...args]);
  await p.waitFor(/^ready$/m);
  return p;
}

/** Runs the CLI to completion. */
export async function pytraceDone(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = pytrace(...args);
  const { code } = await p.exited;
  return { code, stdout: p.stdout, stderr: p.stderr };
}

export function killAll(): void {
  for (const p of running) p.kill();
}
