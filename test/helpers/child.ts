/**
 * The one process helper of the tests: a child whose output is kept and can
 * be awaited line by line or by pattern, and which killStarted() ends. Python
 * targets, the sdt fixture, Pythons in other roots and the CLI all run as one.
 */
import { ChildProcess, spawn, SpawnOptions } from 'child_process';
import * as path from 'path';

/** Rejects if `p` has not settled within `ms`. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until it returns true or `ms` pass; returns its last answer. */
export async function until(check: () => boolean, ms: number, every = 10): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (check()) return true;
    if (Date.now() >= end) return false;
    await sleep(every);
  }
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Waiter {
  match: (line: string) => boolean;
  resolve: (line: string) => void;
  reject: (e: Error) => void;
}

export class Child {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<Exit>;
  exit?: Exit;
  private out = '';
  private err = '';
  private partial = '';
  private complete: string[] = [];
  /** How many lines nextLine() has consumed. */
  private cursor = 0;
  private waiters: Waiter[] = [];

  constructor(command: string, args: string[], options: SpawnOptions = {}) {
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
    if (this.child.pid === undefined) throw new Error(`cannot start ${command}`);
    this.pid = this.child.pid;
    this.child.stdout!.setEncoding('utf8');
    this.child.stderr!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => {
      this.out += chunk;
      this.partial += chunk;
      let nl: number;
      while ((nl = this.partial.indexOf('\n')) >= 0) {
        const line = this.partial.slice(0, nl);
        this.partial = this.partial.slice(nl + 1);
        this.complete.push(line);
        this.waiters = this.waiters.filter((w) => (w.match(line) ? (w.resolve(line), false) : true));
      }
    });
    this.child.stderr!.on('data', (chunk: string) => (this.err += chunk));
    // A dead child's stdin refuses writes; that is not the test's failure.
    this.child.stdin!.on('error', () => undefined);
    this.exited = new Promise((resolve) =>
      // 'close': stdout is drained too, so no line can still arrive.
      this.child.on('close', (code, signal) => {
        this.exit = { code, signal };
        for (const w of this.waiters.splice(0))
          w.reject(
            new Error(`${this.name()} exited (${code ?? signal}) without the awaited line; stderr: ${this.err.trim()}`),
          );
        resolve(this.exit);
      }),
    );
  }

  /** Everything written to stdout so far. */
  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  /** Complete stdout lines so far (a line still being written is left out). */
  get lines(): string[] {
    return [...this.complete];
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** The first stdout line (already printed or to come) that `match` accepts. */
  line(match: (line: string) => boolean, ms = 10000): Promise<string> {
    const seen = this.complete.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    if (this.exit) return Promise.reject(new Error(`${this.name()} has exited; stderr: ${this.err.trim()}`));
    const p = new Promise<string>((resolve, reject) => this.waiters.push({ match, resolve, reject }));
    return within(p, ms, `${this.name()}: waiting for output`).catch((e: Error) => {
      throw new Error(`${e.message}; stderr: ${this.err.trim()}`);
    });
  }

  /** The next stdout line not yet taken by nextLine(), in order. */
  async nextLine(ms = 10000): Promise<string> {
    const end = Date.now() + ms;
    while (this.cursor >= this.complete.length) {
      if (!this.running)
        throw new Error(`${this.name()} exited (${this.exit!.code ?? this.exit!.signal}): ${this.err.trim()}`);
      if (Date.now() > end)
        throw new Error(`${this.name()} printed no line within ${ms} ms; stderr: ${this.err.trim()}`);
      await sleep(10);
    }
    return this.complete[this.cursor++];
  }

  /** Resolves once `re` matches the stream's text so far; rejects after `ms` or at exit. */
  async waitFor(re: RegExp, stream: 'stdout' | 'stderr' = 'stdout', ms = 15000): Promise<RegExpMatchArray> {
    const end = Date.now() + ms;
    for (;;) {
      const m = this[stream].match(re);
      if (m) return m;
      if (!this.running || Date.now() > end)
        throw new Error(
          `${re} not seen on ${stream} (${this.running ? 'timed out' : 'exited'})\nstdout:\n${this.out.slice(-2000)}\nstderr:\n${this.err.slice(-2000)}`,
        );
      await sleep(10);
    }
  }

  send(text: string): void {
    this.child.stdin!.write(text);
  }

  endInput(): void {
    this.child.stdin!.end();
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.running) this.child.kill(signal);
  }

  private name(): string {
    return this.child.spawnargs.map((a) => path.basename(a)).join(' ');
  }
}

const started: Child[] = [];
const cleanups: (() => void)[] = [];

/** A child that killStarted() ends. */
export function startChild(command: string, args: string[], options: SpawnOptions = {}): Child {
  return track(new Child(command, args, options));
}

/** Makes killStarted() end `c` (a Child made by a subclass's constructor). */
export function track<T extends Child>(c: T): T {
  started.push(c);
  return c;
}

/** Runs `clean` at the next killStarted(): for files a test made. */
export function atCleanup(clean: () => void): void {
  cleanups.push(clean);
}

/** Kills whatever the test started and left running, removes its files (call in afterEach). */
export async function killStarted(): Promise<void> {
  const left = started.splice(0);
  for (const c of left) c.kill('SIGKILL');
  await Promise.all(left.map((c) => c.exited));
  for (const clean of cleanups.splice(0)) clean();
}
