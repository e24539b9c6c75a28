/**
 * The kernel sends a frame's names once per (pid, address) and the decoder
 * keeps them: functions created and dropped at reused addresses must still be
 * named right, by every transport. Names arrive whole up to 4096 bytes;
 * longer ones are cut on a character boundary and flagged.
 */
import { attach, countCalls, FrameEvent } from '../../lib/index';
import { Collector, killStarted, startPython } from '../helpers/python';
import { cut, expectedLongNameFrames, isLongNameFrame, shownFrame } from '../helpers/string-cases';

afterEach(killStarted);

describe.each(['ring', 'perf'] as const)('names (%s)', (transport) => {
  test('every call names its own function at reused addresses', async () => {
    const py = await startPython('reused_names.py', ['2000']);
    const trace = await attach(py.pid, { events: ['function-entry', 'function-return'], transport });
    const events = new Collector(trace);
    py.go();
    const result = await py.result<{ count: number; addresses: number }>();
    await events.closed;

    // Reuse must actually have happened for the test to mean anything.
    expect(result.addresses).toBeLessThan(result.count / 2);
    const expected = Array.from({ length: result.count }, (_, i) => `fn_${i}`);
    const entries = events.ofType('function-entry').filter((e) => /^fn_\d+$/.test(e.function));
    const returns = events.ofType('function-return').filter((e) => /^fn_\d+$/.test(e.function));
    expect(entries.map((e) => e.function)).toEqual(expected);
    expect(returns.map((e) => e.function)).toEqual(expected);
    expect(entries.map((e) => e.lineno)).toEqual(expected.map(() => 1));
    expect(trace.stats().lost).toBe(0);
  });

  test('names whole up to 4096 bytes; longer ones cut on a character boundary and flagged', async () => {
    const py = await startPython('long_names.py', ['3']);
    const trace = await attach(py.pid, { events: ['function-entry', 'function-return'], transport });
    const events = new Collector(trace);
    py.go();
    const cases = await py.result<[string, string][]>();
    await events.closed;

    expect((events.events as FrameEvent[]).filter(isLongNameFrame).map(shownFrame)).toEqual(
      expectedLongNameFrames(cases, 3),
    );
    // The cases mean what they say: lengths in bytes, and a cut inside a character.
    expect(cases.map(([f, n]) => [Buffer.byteLength(f), Buffer.byteLength(n)])).toEqual([
      [300, 300],
      [4096, 4096],
      [5000, 5000],
      [614, 600],
      [4205, 4201],
    ]);
    expect(Buffer.byteLength(cut(cases[4][1]).text)).toBe(4095);
    expect(
      (events.events as FrameEvent[]).some((e) => e.filename.includes('\ufffd') || e.function.includes('\ufffd')),
    ).toBe(false);
    expect(trace.stats().lost).toBe(0);
  });
});

test('top (counts in the kernel): long names whole, or cut and flagged, with exact counts', async () => {
  const py = await startPython('long_names.py', ['7']);
  const counter = await countCalls({ pids: [py.pid] });
  try {
    py.go();
    const cases = await py.result<[string, string][]>();
    const counts = counter.read().filter(isLongNameFrame);
    const key = (c: { filename: string; function: string }) => `${c.filename}\n${c.function}`;
    const shown = counts
      .map((c) => ({ filename: c.filename, function: c.function, count: c.count, truncated: c.truncated ?? false }))
      .sort((a, b) => key(a).localeCompare(key(b)));
    const expected = cases
      .map(([file, fn]) => {
        const f = cut(file);
        const n = cut(fn);
        return { filename: f.text, function: n.text, count: 7, truncated: f.truncated || n.truncated };
      })
      .sort((a, b) => key(a).localeCompare(key(b)));
    expect(shown).toEqual(expected);
  } finally {
    await counter.close();
  }
});
