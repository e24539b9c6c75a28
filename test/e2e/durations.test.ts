/**
 * Call durations from entry/return pairs, on real processes: durationNs and
 * selfNs on returns, against the sleeps the script measured itself; the exact
 * profile's self time per stack, equal to the returns' self times.
 */
import { attach, exactProfile, FrameEvent } from '../../lib/index';
import { Collector, killStarted, startPython, within } from '../helpers/python';

afterEach(killStarted);

interface TimedResult {
  slept: { g: number[]; h: number[] };
  worker: number;
}

/** Within 1 ms of the sleeps the script measured. */
const TOLERANCE_NS = 1_000_000;

function near(actualNs: number | null | undefined, expectedNs: number): boolean {
  return actualNs !== null && actualNs !== undefined && Math.abs(actualNs - expectedNs) < TOLERANCE_NS;
}

test('durationNs and selfNs on returns: g as long as its sleep, f the sum of its g calls plus its own time; the profile agrees exactly', async () => {
  const py = await startPython('timed_calls.py');
  const trace = await attach(py.pid, { events: ['function-entry', 'function-return'] });
  const c = new Collector(trace);
  const profiling = exactProfile(trace);
  py.go();
  const result = await py.result<TimedResult>();
  await within(c.closed, 10000, 'close');
  const frames = c.frames(py.script);
  const returns = (fn: string) => frames.filter((e) => e.type === 'function-return' && e.function === fn);

  const g = returns('g');
  expect(g).toHaveLength(3);
  g.forEach((r, i) => {
    expect(near(r.durationNs, result.slept.g[i])).toBe(true);
    // g calls no Python function: all of its time is its own.
    expect(r.selfNs).toBe(r.durationNs);
  });
  const [f] = returns('f');
  const gTotal = g.reduce((a, r) => a + r.durationNs!, 0);
  expect(f.selfNs).toBe(f.durationNs! - gTotal);
  expect(f.selfNs!).toBeLessThan(TOLERANCE_NS);

  // The worker thread's calls pair on their own thread.
  const h = returns('h');
  expect(h.map((r) => r.tid)).toEqual([result.worker, result.worker]);
  h.forEach((r, i) => expect(near(r.durationNs, result.slept.h[i])).toBe(true));
  // A generator resumed 3 times and run to its end: 4 entries, 4 returns, each paired.
  const counter = returns('counter');
  expect(counter).toHaveLength(4);
  for (const r of counter) expect(r.durationNs).not.toBeNull();
  // A call left by an exception returns too.
  const [fails] = returns('fails');
  const [catches] = returns('catches');
  expect(catches.selfNs).toBe(catches.durationNs! - fails.durationNs!);
  // The module body was entered before the trace: its return has no duration.
  expect(returns('<module>').map((r) => r.durationNs)).toEqual([null]);

  const profile = await profiling;
  const stack = (tail: string[], tid: number) =>
    profile
      .threads()
      .filter((t) => t.thread.tid === tid)
      .flatMap((t) => t.stacks)
      .filter(
        (s) =>
          s.frames
            .slice(-tail.length)
            .map((fr) => fr.function)
            .join('/') === tail.join('/') && s.frames[s.frames.length - 1].filename === py.script,
      );
  expect(profile.kind).toEqual({ type: 'wall', unit: 'nanoseconds' });
  expect(stack(['main', 'f', 'g'], py.pid)).toEqual([{ frames: expect.any(Array), value: gTotal }]);
  expect(stack(['main', 'f'], py.pid)).toEqual([{ frames: expect.any(Array), value: f.selfNs }]);
  expect(stack(['main', 'f', 'g'], py.pid)[0].frames.map((fr) => fr.function)).toEqual(['main', 'f', 'g']);
  expect(stack(['worker', 'h'], result.worker).map((s) => s.value)).toEqual([h[0].selfNs! + h[1].selfNs!]);
  // Every paired return's self time, and nothing else, is in the profile.
  const paired = c.events.filter((e): e is FrameEvent => e.type === 'function-return' && e.selfNs != null);
  expect(profile.total()).toBe(paired.reduce((a, r) => a + r.selfNs!, 0));
});

test('durations: false leaves returns as they were', async () => {
  const py = await startPython('timed_calls.py');
  const trace = await attach(py.pid, { events: ['function-entry', 'function-return'], durations: false });
  const c = new Collector(trace);
  py.go();
  await py.result();
  await within(c.closed, 10000, 'close');
  const g = c.frames(py.script).filter((e) => e.type === 'function-return' && e.function === 'g');
  expect(g).toHaveLength(3);
  for (const r of g) expect('durationNs' in r || 'selfNs' in r).toBe(false);
});
