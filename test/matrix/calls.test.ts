/**
 * function-entry / function-return on every build that has them (3.9, 3.11,
 * 3.15), with the core tests' scripts: exact counts, nesting per thread, and
 * where each fired. 3.9 pairs by itself, 3.11 needs the line semaphore
 * pytrace raises, 3.15 needs pytrace to add the return of a call that only
 * creates a generator (see 3.15.test.ts for its other quirks).
 */
import { FrameEvent } from '../../lib/index';
import { countBy, defLine, killStarted, maxDepth } from '../helpers/python';
import { BUILD_TIMEOUT_MS, ensureBuilds, traceCalls } from '../helpers/builds';

beforeAll(ensureBuilds, BUILD_TIMEOUT_MS);
afterEach(killStarted);

const sequence = (frames: FrameEvent[], skip: string[]) =>
  frames.filter((f) => !skip.includes(f.function)).map((f) => (f.type === 'function-entry' ? '>' : '<') + f.function);

describe.each(['3.9', '3.11', '3.15'] as const)('Python %s', (version) => {
  test('nested calls: exact counts, in order, entries at the def line', async () => {
    const { entries, returns, frames, py, result } = await traceCalls(version, 'calls.py', ['nested']);
    const expected = { scenario_nested: 1, outer: 1, middle: 2, inner: 6 };
    expect(result).toBe(15);
    expect(entries).toEqual(expected);
    expect(returns).toEqual(expected);
    for (const f of frames.filter((f) => f.type === 'function-entry' && f.function !== '<module>'))
      expect(f.lineno).toBe(defLine(py.source, f.function));
    const middle = ['>middle', '>inner', '<inner', '>inner', '<inner', '>inner', '<inner', '<middle'];
    expect(sequence(frames, ['scenario_nested', '<module>'])).toEqual(['>outer', ...middle, ...middle, '<outer']);
    expect(new Set(frames.map((f) => f.tid))).toEqual(new Set([py.pid]));
  });

  test('recursion: fib(10) makes 177 calls, 10 deep', async () => {
    const { entries, returns, frames, result } = await traceCalls(version, 'calls.py', ['recursion']);
    expect(result).toBe(55);
    expect(entries).toEqual({ scenario_recursion: 1, fib: 177 });
    expect(returns).toEqual({ scenario_recursion: 1, fib: 177 });
    expect(maxDepth(frames, 'fib')).toBe(10);
  });

  test('generator: one entry per resume, one return per yield and at the end', async () => {
    const { entries, returns, frames, py, result } = await traceCalls(version, 'calls.py', ['generator']);
    expect(result).toBe(10);
    // 3.15 also enters gen() when consume() calls it to create the generator;
    // pytrace adds the return CPython does not fire, marked generatorCreated.
    const gens = version === '3.15' ? 7 : 6;
    expect(entries).toEqual({ scenario_generator: 1, consume: 1, gen: gens });
    expect(returns).toEqual({ scenario_generator: 1, consume: 1, gen: gens });
    const g = frames.filter((f) => f.function === 'gen');
    expect(g.map((f) => f.type)).toEqual(Array.from({ length: 2 * gens }, (_, i) => (i % 2 ? 'function-return' : 'function-entry')));
    const def = defLine(py.source, 'gen');
    const resumes = [def, ...Array(10).fill(def + 2)];
    const last = version === '3.9' ? def + 2 : def + 1; // 3.9 reports the yield line at the end
    const lines = version === '3.15' ? [def, def, ...resumes, last] : [...resumes, last];
    expect(g.map((f) => f.lineno)).toEqual(lines);
    expect(g.map((f) => f.generatorCreated === true)).toEqual(g.map((_, i) => version === '3.15' && i === 1));
  });

  test('exception: frames left by a raised exception still return', async () => {
    const { entries, returns, frames, py, result } = await traceCalls(version, 'calls.py', ['exception']);
    expect(result).toBe('caught');
    const expected = { scenario_exception: 1, catcher: 1, passer: 1, raiser: 1 };
    expect(entries).toEqual(expected);
    expect(returns).toEqual(expected);
    const ret = (fn: string) => frames.find((f) => f.type === 'function-return' && f.function === fn)!.lineno;
    expect(ret('raiser')).toBe(defLine(py.source, 'raiser') + 1);
    expect(ret('passer')).toBe(defLine(py.source, 'passer') + 1);
  });

  test('calls from C and methods: map(), sorted(key=), __init__ and a bound method', async () => {
    const fromC = await traceCalls(version, 'calls.py', ['from_c']);
    expect(fromC.entries).toEqual({ scenario_from_c: 1, double: 7, key: 9 });
    expect(fromC.returns).toEqual({ scenario_from_c: 1, double: 7, key: 9 });
    const method = await traceCalls(version, 'calls.py', ['method']);
    expect(method.entries).toEqual({ scenario_method: 1, __init__: 1, bump: 3 });
    expect(method.returns).toEqual({ scenario_method: 1, __init__: 1, bump: 3 });
  });

  test('two threads: distinct tids, calls nest per thread, exact counts per thread', async () => {
    const { frames, entries, returns, result, py } = await traceCalls(version, 'threads.py');
    const tids = result as { a: number; b: number };
    expect(new Set([tids.a, tids.b, py.pid]).size).toBe(3);
    const expected = { work_a: 1, work_b: 1, leaf_a: 3000, leaf_b: 2000, shared: 50 };
    expect(entries).toEqual(expected);
    expect(returns).toEqual(expected);
    const byTid = (fn: string) => new Set(frames.filter((f) => f.function === fn).map((f) => f.tid));
    expect(byTid('leaf_a')).toEqual(new Set([tids.a]));
    expect(byTid('leaf_b')).toEqual(new Set([tids.b]));
    const shared = countBy(
      frames.filter((f) => f.function === 'shared' && f.type === 'function-entry'),
      (f) => String(f.tid),
    );
    expect(shared).toEqual({ [tids.a]: 25, [tids.b]: 25 });
  });
});
