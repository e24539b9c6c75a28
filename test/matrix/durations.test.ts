/**
 * Durations on 3.11 (entries through the line semaphore) and 3.15 (the return
 * pytrace adds at generator creation): the same known calls and sleeps as
 * test/e2e/durations.test.ts, every return of the script paired.
 */
import { attach, FrameEvent } from '../../lib/index';
import { Collector, killStarted, within } from '../helpers/python';
import { build, BUILD_TIMEOUT_MS, ensureBuilds, startIn } from '../helpers/builds';

beforeAll(ensureBuilds, BUILD_TIMEOUT_MS);
afterEach(killStarted);

interface TimedResult {
  slept: { g: number[]; h: number[] };
  worker: number;
}

test.each(['3.11', '3.15'] as const)(
  '%s: g as long as its sleeps, f without g, generators and exceptions paired',
  async (version) => {
    const py = await startIn(build(version), 'timed_calls.py');
    const trace = await attach(py.pid, { events: ['function-entry', 'function-return'] });
    const c = new Collector(trace);
    py.go();
    const result = await py.result<TimedResult>();
    await within(c.closed, 10000, 'close');
    const returns = (fn: string) =>
      c.frames(py.script).filter((e): e is FrameEvent => e.type === 'function-return' && e.function === fn);
    const g = returns('g');
    expect(g).toHaveLength(3);
    g.forEach((r, i) => expect(Math.abs(r.durationNs! - result.slept.g[i])).toBeLessThan(1_000_000));
    const [f] = returns('f');
    expect(f.selfNs).toBe(f.durationNs! - g.reduce((a, r) => a + r.durationNs!, 0));
    const h = returns('h');
    expect(h.map((r) => r.tid)).toEqual([result.worker, result.worker]);
    h.forEach((r, i) => expect(Math.abs(r.durationNs! - result.slept.h[i])).toBeLessThan(1_000_000));
    // 3.11: 4 resumes; 3.15: the creation (its return added) and 4 resumes.
    const counter = returns('counter');
    expect(counter.map((r) => Boolean(r.generatorCreated))).toEqual(
      version === '3.15' ? [true, false, false, false, false] : [false, false, false, false],
    );
    for (const r of [...counter, ...returns('fails'), ...returns('catches'), ...returns('main')])
      expect(r.durationNs).not.toBeNull();
  },
);
