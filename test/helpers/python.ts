/**
 * End-to-end helpers: real python3.11 processes that wait at a gate until the
 * test has attached, semaphores read from the target's memory, and events
 * collected until the trace closes.
 */
import { SpawnOptions } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EVENT_NAMES, FrameEvent, probes, Trace, TraceEvent } from '../../lib/index';
import { MARKERS } from '../../lib/markers';
import { readStat } from '../../lib/discovery/proc';
import { atCleanup, Child, startChild, track } from './child';
import { readSemaphore } from './target-memory';

/** Debian's build carries the markers; a `python3` on PATH may not. */
export const PYTHON = '/usr/bin/python3.11';
export const SCRIPTS = path.resolve(__dirname, '../scripts');
export const TRACER = path.resolve(__dirname, 'tracer.js');

export function script(name: string): string {
  return path.join(SCRIPTS, name);
}

export { Child, killStarted, sleep, startChild, until, within } from './child';
export type { Exit } from './child';

/**
 * A python3.11 running test/scripts/NAME. Every script prints "ready" and
 * waits for a line on stdin before doing what it is there for: the test
 * attaches first, then calls go().
 */
export class Python extends Child {
  readonly script: string;

  constructor(name: string, args: string[] = [], options: SpawnOptions & { python?: string } = {}) {
    const file = script(name);
    super(options.python ?? PYTHON, [file, ...args], options);
    this.script = file;
  }

  ready(): Promise<string> {
    return this.line((l) => l === 'ready');
  }

  go(): void {
    this.send('go\n');
  }

  /** The JSON a script prints on a line "result <json>". */
  async result<T = unknown>(): Promise<T> {
    const line = await this.line((l) => l.startsWith('result '));
    return JSON.parse(line.slice('result '.length)) as T;
  }
}

export async function startPython(
  name: string,
  args: string[] = [],
  options: SpawnOptions & { python?: string } = {},
): Promise<Python> {
  const py = new Python(name, args, options);
  track(py);
  await py.ready();
  return py;
}

/**
 * Runs test/helpers/tracer.js (attach from another node process) with `args`.
 * `env`: added to its environment (a test's process.env is its own copy, which
 * a child does not inherit).
 */
export function startTracer(args: string[], wrapper: string[] = [], env: Record<string, string> = {}): Child {
  // Without this flag node only warns about an exception thrown in an addon's callback.
  const argv = [...wrapper, process.execPath, '--force-node-api-uncaught-exceptions-policy=true', TRACER, ...args];
  return startChild(argv[0], argv.slice(1), { env: { ...process.env, ...env } });
}

/**
 * A fresh copy of python3.11, for tests that assert exact semaphore values. A
 * copy is another inode: a system-wide trace of /usr/bin/python3.11 by some
 * other tracer, which raises semaphores in every process running that file,
 * does not reach it. (One that covers the binaries of all running processes,
 * as countCalls() does, still would: such tests cannot run alongside one.)
 * Removed by killStarted().
 */
export function privatePython(): string {
  const tmp = tempDir('pytrace-python-');
  atCleanup(tmp.remove);
  fs.chmodSync(tmp.dir, 0o755); // other users run it too
  const file = path.join(tmp.dir, 'python3.11');
  fs.copyFileSync(PYTHON, file);
  fs.chmodSync(file, 0o755);
  return file;
}

/** Every python marker's semaphore in `pid`, by marker name (a marker's locations share one). */
export function semaphores(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const loc of probes(pid)) {
    if (loc.provider !== 'python' || loc.semaphoreAddress === undefined) continue;
    out[loc.name] = readSemaphore(pid, loc.semaphoreAddress);
  }
  return out;
}

/** Semaphores at known addresses (for a binary whose notes were stripped). */
export function semaphoresAt(pid: number, addresses: Record<string, bigint>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, address] of Object.entries(addresses)) out[name] = readSemaphore(pid, address);
  return out;
}

export const MARKER_NAMES = MARKERS.map((m) => m.marker);

/** The deepest nesting of `fn` in entry/return order. */
export function maxDepth(frames: FrameEvent[], fn: string): number {
  let depth = 0;
  let deepest = 0;
  for (const f of frames.filter((f) => f.function === fn)) {
    depth += f.type === 'function-entry' ? 1 : -1;
    deepest = Math.max(deepest, depth);
  }
  return deepest;
}

/** { marker: value } with every marker at `value` except those in `raised`. */
export function expectedSemaphores(raised: readonly string[], value = 1): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of MARKER_NAMES) out[m] = raised.includes(m) ? value : 0;
  return out;
}

/** Everything a trace emits, in order, until 'close'. */
export class Collector {
  readonly events: TraceEvent[] = [];
  readonly order: string[] = [];
  readonly lost: unknown[] = [];
  exitEvent?: { pid: number };
  readonly closed: Promise<void>;
  readonly exited: Promise<void>;

  constructor(readonly trace: Trace) {
    for (const name of EVENT_NAMES) trace.on(name, (ev: TraceEvent) => this.events.push(ev));
    trace.on('lost', (l: unknown) => this.lost.push(l));
    this.exited = new Promise((resolve) =>
      trace.on('exit', (e: { pid: number }) => {
        this.exitEvent = e;
        this.order.push('exit');
        resolve();
      }),
    );
    this.closed = new Promise((resolve) =>
      trace.on('close', () => {
        this.order.push('close');
        resolve();
      }),
    );
  }

  // An intersection, not Extract: FrameEvent's type is a union of three.
  ofType<T extends TraceEvent['type']>(type: T): (TraceEvent & { type: T })[] {
    return this.events.filter((e) => e.type === type) as (TraceEvent & { type: T })[];
  }

  /** Entry and return events of functions defined in `file`. */
  frames(file: string): FrameEvent[] {
    return this.events.filter(
      (e): e is FrameEvent => (e.type === 'function-entry' || e.type === 'function-return') && e.filename === file,
    );
  }
}

/** Counts of `items` by key. */
export function countBy<T>(items: T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of items) out[key(t)] = (out[key(t)] ?? 0) + 1;
  return out;
}

/**
 * Checks that entries and returns nest per thread: each return closes the
 * innermost open entry of its thread, with the same function name, and every
 * thread ends with nothing open. `ignore` names frames entered before the
 * trace began (the module body, which returns at exit). Returns the problems.
 */
export function nestingProblems(frames: FrameEvent[], ignore: string[] = ['<module>']): string[] {
  const stacks = new Map<number, string[]>();
  const problems: string[] = [];
  for (const f of frames) {
    if (ignore.includes(f.function)) continue;
    const stack = stacks.get(f.tid) ?? [];
    stacks.set(f.tid, stack);
    if (f.type === 'function-entry') stack.push(f.function);
    else {
      const top = stack.pop();
      if (top !== f.function)
        problems.push(`tid ${f.tid}: return from ${f.function} while ${top ?? 'nothing'} is open`);
    }
  }
  for (const [tid, stack] of stacks)
    if (stack.length) problems.push(`tid ${tid}: still open at the end: ${stack.join(' > ')}`);
  return problems;
}

/** Line of `def name(` (or `class name`) in a script, 1-based. */
export function defLine(file: string, name: string): number {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const i = lines.findIndex((l) => new RegExp(`^\\s*(?:def|class) ${name}\\b`).test(l));
  if (i < 0) throw new Error(`${name} is not defined in ${file}`);
  return i + 1;
}

/** Line holding the comment `# mark: TAG` in a script, 1-based. */
export function markedLine(file: string, tag: string): number {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const i = lines.findIndex((l) => l.trimEnd().endsWith(`# mark: ${tag}`));
  if (i < 0) throw new Error(`no "# mark: ${tag}" in ${file}`);
  return i + 1;
}

/** A process's state letter from /proc/PID/stat (R, S, Z, ...), or null once it is gone. */
export function processState(pid: number): string | null {
  return readStat(pid)?.state ?? null;
}

const PF_KTHREAD = 0x00200000n;

/** Some kernel thread's PID, if this PID namespace shows any. */
export function kernelThread(): number | undefined {
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name)); // null: gone meanwhile
    if (stat && stat.flags & PF_KTHREAD) return Number(name);
  }
  return undefined;
}

/** A fresh temporary directory, removed by the returned function. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
