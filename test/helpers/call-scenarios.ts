/**
 * The call scenarios (test/scripts/calls.py, threads.py, migrate.py) and what
 * each must yield: exact counts, order, nesting and where each event fired.
 * Defined once, run by the host tests through both transports and by the
 * version matrix on every build that fires call markers; where builds differ,
 * the difference is spelled out here.
 */
import * as fs from 'fs';
import { FrameEvent, Trace } from '../../lib/index';
import { Collector, countBy, defLine, maxDepth, nestingProblems, within } from './python';

export type CallsVersion = '3.9' | '3.11' | '3.15';

/** One traced run of a script, from its gate to its exit. */
export interface ScenarioRun {
  /** The script's entries and returns, in order (nesting and loss already checked). */
  frames: FrameEvent[];
  /** Per function of the script but <module> (entered before the trace). */
  entries: Record<string, number>;
  returns: Record<string, number>;
  result: unknown;
  pid: number;
  /** The script on this machine, for its line numbers. */
  source: string;
}

export type RunScript = (name: string, args?: string[]) => Promise<ScenarioRun>;

/** A started script waiting at its gate (python.ts and builds.ts both start them). */
interface GatedScript {
  pid: number;
  /** Its path as Python reports it. */
  script: string;
  go(): void;
  result(): Promise<unknown>;
}

/**
 * Lets a script attached to by `trace` run to its exit, and checks what every
 * such run must satisfy: events only from that process, none lost, entries
 * and returns nesting per thread.
 */
export async function runToExit(py: GatedScript, trace: Trace, source: string): Promise<ScenarioRun> {
  const c = new Collector(trace);
  py.go();
  const result = await py.result();
  await within(c.closed, 10000, 'close after the script exits');
  const frames = c.frames(py.script);
  const problems = [...nestingProblems(frames)];
  if (!frames.length) problems.push('no entry or return from the script');
  if (c.lost.length) problems.push(`lost: ${JSON.stringify(c.lost)}`);
  const strangers = c.events.filter((e) => e.pid !== py.pid).length;
  if (strangers) problems.push(`${strangers} events from other processes`);
  expect(problems).toEqual([]);
  const count = (type: string) =>
    countBy(
      frames.filter((f) => f.type === type && f.function !== '<module>'),
      (f) => f.function,
    );
  return { frames, entries: count('function-entry'), returns: count('function-return'), result, pid: py.pid, source };
}

const sequence = (frames: FrameEvent[], skip: string[]) =>
  frames.filter((f) => !skip.includes(f.function)).map((f) => (f.type === 'function-entry' ? '>' : '<') + f.function);

function expectCalls(run: ScenarioRun, expected: Record<string, number>): void {
  expect(run.entries).toEqual(expected);
  expect(run.returns).toEqual(expected);
}

/** Declares the scenarios' tests in the current describe block. */
export function callScenarios(version: CallsVersion, run: RunScript): void {
  test('nested calls: exact counts, in order, entries at the def line, on the main thread', async () => {
    const r = await run('calls.py', ['nested']);
    expect(r.result).toBe(15);
    expectCalls(r, { scenario_nested: 1, outer: 1, middle: 2, inner: 6 });
    for (const f of r.frames.filter((f) => f.type === 'function-entry' && f.function !== '<module>'))
      expect(f.lineno).toBe(defLine(r.source, f.function));
    // Order, not just counts: outer > middle > inner x3, then middle again.
    const middle = ['>middle', '>inner', '<inner', '>inner', '<inner', '>inner', '<inner', '<middle'];
    expect(sequence(r.frames, ['scenario_nested', '<module>'])).toEqual(['>outer', ...middle, ...middle, '<outer']);
    expect(new Set(r.frames.map((f) => f.tid))).toEqual(new Set([r.pid]));
  });

  test('recursion: fib(10) makes 177 calls, 10 deep', async () => {
    const r = await run('calls.py', ['recursion']);
    // calls(n) = calls(n-1) + calls(n-2) + 1, calls(0) = calls(1) = 1: 2 * fib(11) - 1.
    expect(r.result).toBe(55);
    expectCalls(r, { scenario_recursion: 1, fib: 177 });
    expect(maxDepth(r.frames, 'fib')).toBe(10);
  });

  test('generator: one entry per resume, one return per yield and at the end', async () => {
    const r = await run('calls.py', ['generator']);
    expect(r.result).toBe(10);
    // gen(5): 6 resumes (the first next() and one after each of 5 yields). 3.15
    // also enters gen() when consume() calls it to create the generator;
    // pytrace adds the return CPython does not fire, marked generatorCreated.
    const gens = version === '3.15' ? 7 : 6;
    expectCalls(r, { scenario_generator: 1, consume: 1, gen: gens });
    const g = r.frames.filter((f) => f.function === 'gen');
    expect(g.map((f) => f.type)).toEqual(
      Array.from({ length: 2 * gens }, (_, i) => (i % 2 ? 'function-return' : 'function-entry')),
    );
    // The first entry at the def, resumes and yields at the yield, the last
    // return at the loop that ran out (3.9: at the yield).
    const def = defLine(r.source, 'gen');
    const resumes = [def, ...Array(10).fill(def + 2)];
    const last = version === '3.9' ? def + 2 : def + 1;
    const lines = version === '3.15' ? [def, def, ...resumes, last] : [...resumes, last];
    expect(g.map((f) => f.lineno)).toEqual(lines);
    expect(g.map((f) => f.generatorCreated === true)).toEqual(g.map((_, i) => version === '3.15' && i === 1));
  });

  test('exception: frames left by a raised exception still return', async () => {
    const r = await run('calls.py', ['exception']);
    expect(r.result).toBe('caught');
    expectCalls(r, { scenario_exception: 1, catcher: 1, passer: 1, raiser: 1 });
    // raiser returns from its raise line, passer from its call to raiser.
    const ret = (fn: string) => r.frames.find((f) => f.type === 'function-return' && f.function === fn)!.lineno;
    expect(ret('raiser')).toBe(defLine(r.source, 'raiser') + 1);
    expect(ret('passer')).toBe(defLine(r.source, 'passer') + 1);
  });

  test('calls from C: map() and sorted(key=) call back into Python once per item', async () => {
    const r = await run('calls.py', ['from_c']);
    expect(r.result).toEqual([
      [0, 2, 4, 6, 8, 10, 12],
      [9, 8, 7, 6, 5, 4, 3, 2, 1],
    ]);
    expectCalls(r, { scenario_from_c: 1, double: 7, key: 9 });
  });

  test('methods: __init__ and a bound method report their own names', async () => {
    const r = await run('calls.py', ['method']);
    expect(r.result).toBe(3);
    expectCalls(r, { scenario_method: 1, __init__: 1, bump: 3 });
    const bumpReturns = r.frames.filter((f) => f.type === 'function-return' && f.function === 'bump');
    expect(bumpReturns.map((f) => f.lineno)).toEqual(Array(3).fill(defLine(r.source, 'bump') + 2));
  });

  test('two threads: distinct tids, calls nest per thread, exact counts per thread', async () => {
    const r = await run('threads.py');
    const tids = r.result as { a: number; b: number };
    expect(new Set([tids.a, tids.b, r.pid]).size).toBe(3);
    expectCalls(r, { work_a: 1, work_b: 1, leaf_a: 3000, leaf_b: 2000, shared: 50 });
    // Each function ran on the thread Python says it did.
    const byTid = (fn: string) => new Set(r.frames.filter((f) => f.function === fn).map((f) => f.tid));
    expect(byTid('work_a')).toEqual(new Set([tids.a]));
    expect(byTid('leaf_a')).toEqual(new Set([tids.a]));
    expect(byTid('work_b')).toEqual(new Set([tids.b]));
    expect(byTid('leaf_b')).toEqual(new Set([tids.b]));
    const shared = countBy(
      r.frames.filter((f) => f.function === 'shared' && f.type === 'function-entry'),
      (f) => String(f.tid),
    );
    expect(shared).toEqual({ [tids.a]: 25, [tids.b]: 25 });
  });

  // The migration needs two CPUs to move between: with one, the test says so rather than fails.
  const cpus = allowedCpus();
  const migrate = cpus >= 2 ? test : test.skip;
  const skipped = cpus >= 2 ? '' : ` [skipped: needs 2 CPUs, this process may run on ${cpus}]`;
  migrate(`a thread moved to another CPU inside each call: entries and returns stay in order${skipped}`, async () => {
    const r = await run('migrate.py');
    expect(r.result).toBe(2); // the machine has two CPUs to move between
    expectCalls(r, { run: 1, hop: 400 });
    const hops = r.frames.filter((f) => f.function === 'hop').map((f) => (f.type === 'function-entry' ? '>' : '<'));
    expect(hops.join('')).toBe('><'.repeat(400));
  });
}

/** The CPUs this process may run on (its affinity, as the script's own is inherited). */
function allowedCpus(): number {
  const list = /^Cpus_allowed_list:\s*(.*)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '';
  let n = 0;
  for (const range of list.split(',').filter(Boolean)) {
    const [lo, hi] = range.split('-').map(Number);
    n += (hi ?? lo) - lo + 1;
  }
  return n;
}
