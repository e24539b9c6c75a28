/**
 * function-entry / function-return against python3.11 scripts whose calls are
 * known exactly. Counts cover the script's own functions only (the standard
 * library's calls vary); nesting is checked per thread over all of them.
 */
import { attach, FrameEvent } from '../../lib/index';
import { Collector, countBy, defLine, killStarted, maxDepth, nestingProblems, Python, startPython, within } from '../helpers/python';

const TRANSPORTS = ['ring', 'perf'] as const;
type Transport = (typeof TRANSPORTS)[number];

const CALLS = ['function-entry', 'function-return'] as const;

afterEach(killStarted);

interface Run {
  py: Python;
  frames: FrameEvent[];
  entries: Record<string, number>;
  returns: Record<string, number>;
  result: unknown;
  c: Collector;
}

/** Runs a script from gate to exit under a trace of entries and returns. */
async function traceScript(transport: Transport, name: string, args: string[] = []): Promise<Run> {
  const py = await startPython(name, args);
  const trace = await attach(py.pid, { events: [...CALLS], transport });
  const c = new Collector(trace);
  py.go();
  const result = await py.result();
  await within(c.closed, 10000, 'close after the script exits');
  const frames = c.frames(py.script);
  expect(frames.length).toBeGreaterThan(0);
  for (const f of frames) expect(f.pid).toBe(py.pid);
  expect(nestingProblems(frames)).toEqual([]);
  expect(c.lost).toEqual([]);
  const count = (type: string) =>
    countBy(
      frames.filter((f) => f.type === type && f.function !== '<module>'),
      (f) => f.function,
    );
  return { py, frames, entries: count('function-entry'), returns: count('function-return'), result, c };
}

describe.each(TRANSPORTS)('through the %s buffer', (transport) => {
  test('nested calls: each function entered and returned exactly as often as called', async () => {
    const { entries, returns, frames, py, result } = await traceScript(transport, 'calls.py', ['nested']);
    const expected = { scenario_nested: 1, outer: 1, middle: 2, inner: 6 };
    expect(entries).toEqual(expected);
    expect(returns).toEqual(expected);
    expect(result).toBe(15);
    // An entry reports the def line; everything ran on the main thread.
    for (const f of frames.filter((f) => f.type === 'function-entry')) expect(f.lineno).toBe(defLine(py.script, f.function));
    expect(new Set(frames.map((f) => f.tid))).toEqual(new Set([py.pid]));
    // Order, not just counts: outer > middle > inner x3, then middle again.
    const seq = frames
      .filter((f) => f.function !== 'scenario_nested' && f.function !== '<module>')
      .map((f) => (f.type === 'function-entry' ? '>' : '<') + f.function);
    const middleCall = ['>middle', '>inner', '<inner', '>inner', '<inner', '>inner', '<inner', '<middle'];
    expect(seq).toEqual(['>outer', ...middleCall, ...middleCall, '<outer']);
  });

  test('recursion: fib(10) makes 177 calls, each returning', async () => {
    const { entries, returns, result, frames } = await traceScript(transport, 'calls.py', ['recursion']);
    // calls(n) = calls(n-1) + calls(n-2) + 1, calls(0) = calls(1) = 1: 2 * fib(11) - 1.
    expect(result).toBe(55);
    expect(entries).toEqual({ scenario_recursion: 1, fib: 177 });
    expect(returns).toEqual({ scenario_recursion: 1, fib: 177 });
    // The deepest nesting is fib(10) down to fib(1): 10 frames of fib.
    expect(maxDepth(frames, 'fib')).toBe(10);
  });

  test('generator: every resume is an entry, every yield and the final return a return', async () => {
    const { entries, returns, frames, py, result } = await traceScript(transport, 'calls.py', ['generator']);
    expect(result).toBe(10);
    // gen(5): 6 resumes (the first next() and one after each of 5 yields); 5 yields + 1 return.
    // Creating the generator fires nothing.
    expect(entries).toEqual({ scenario_generator: 1, consume: 1, gen: 6 });
    expect(returns).toEqual({ scenario_generator: 1, consume: 1, gen: 6 });
    const g = frames.filter((f) => f.function === 'gen');
    expect(g.map((f) => f.type)).toEqual(Array.from({ length: 12 }, (_, i) => (i % 2 ? 'function-return' : 'function-entry')));
    // Where each fired: first entry at the def, resumes and yields at the yield,
    // the last return at the loop that ran out.
    const def = defLine(py.script, 'gen');
    const lines = g.map((f) => f.lineno);
    expect(lines).toEqual([def, def + 2, def + 2, def + 2, def + 2, def + 2, def + 2, def + 2, def + 2, def + 2, def + 2, def + 1]);
  });

  test('exception: functions left by a raised exception still return', async () => {
    const { entries, returns, frames, py, result } = await traceScript(transport, 'calls.py', ['exception']);
    expect(result).toBe('caught');
    const expected = { scenario_exception: 1, catcher: 1, passer: 1, raiser: 1 };
    expect(entries).toEqual(expected);
    expect(returns).toEqual(expected);
    // raiser returns from its raise line, passer from its call to raiser.
    const ret = (fn: string) => frames.find((f) => f.type === 'function-return' && f.function === fn)!.lineno;
    expect(ret('raiser')).toBe(defLine(py.script, 'raiser') + 1);
    expect(ret('passer')).toBe(defLine(py.script, 'passer') + 1);
  });

  test('calls from C: map() and sorted(key=) call back into Python once per item', async () => {
    const { entries, returns, result } = await traceScript(transport, 'calls.py', ['from_c']);
    expect(result).toEqual([[0, 2, 4, 6, 8, 10, 12], [9, 8, 7, 6, 5, 4, 3, 2, 1]]);
    const expected = { scenario_from_c: 1, double: 7, key: 9 };
    expect(entries).toEqual(expected);
    expect(returns).toEqual(expected);
  });

  test('methods: __init__ and a bound method report their own names', async () => {
    const { entries, returns, result, frames, py } = await traceScript(transport, 'calls.py', ['method']);
    expect(result).toBe(3);
    const expected = { scenario_method: 1, __init__: 1, bump: 3 };
    expect(entries).toEqual(expected);
    expect(returns).toEqual(expected);
    const bumpReturns = frames.filter((f) => f.type === 'function-return' && f.function === 'bump');
    expect(bumpReturns.map((f) => f.lineno)).toEqual(Array(3).fill(defLine(py.script, 'bump') + 2));
  });

  test('two threads: distinct tids, calls nest per thread, exact counts per thread', async () => {
    const { frames, entries, returns, result, py } = await traceScript(transport, 'threads.py');
    const tids = result as { a: number; b: number };
    expect(tids.a).not.toBe(tids.b);
    expect(tids.a).not.toBe(py.pid);
    expect(tids.b).not.toBe(py.pid);
    const expected = { work_a: 1, work_b: 1, leaf_a: 3000, leaf_b: 2000, shared: 50 };
    expect(entries).toEqual(expected);
    expect(returns).toEqual(expected);
    // Each function ran on the thread Python says it did.
    const byTid = (fn: string) => new Set(frames.filter((f) => f.function === fn).map((f) => f.tid));
    expect(byTid('work_a')).toEqual(new Set([tids.a]));
    expect(byTid('leaf_a')).toEqual(new Set([tids.a]));
    expect(byTid('work_b')).toEqual(new Set([tids.b]));
    expect(byTid('leaf_b')).toEqual(new Set([tids.b]));
    expect(byTid('shared')).toEqual(new Set([tids.a, tids.b]));
    const shared = countBy(
      frames.filter((f) => f.function === 'shared' && f.type === 'function-entry'),
      (f) => String(f.tid),
    );
    expect(shared).toEqual({ [tids.a]: 25, [tids.b]: 25 });
  });

  test('a thread moved to another CPU inside each call: entries and returns stay in order', async () => {
    const { frames, entries, returns, result } = await traceScript(transport, 'migrate.py');
    expect(result).toBe(2); // the machine has two CPUs to move between
    expect(entries).toEqual({ run: 1, hop: 400 });
    expect(returns).toEqual({ run: 1, hop: 400 });
    const hops = frames.filter((f) => f.function === 'hop').map((f) => (f.type === 'function-entry' ? '>' : '<'));
    expect(hops.join('')).toBe('><'.repeat(400));
  });
});
