/**
 * The kernel sends a frame's names once per (pid, address) and the decoder
 * keeps them: functions created and dropped at reused addresses must still be
 * named right, by every transport.
 */
import { attach } from '../../lib/index';
import { Collector, killStarted, startPython } from '../helpers/python';

afterEach(killStarted);

describe.each(['ring', 'perf'] as const)('names at reused addresses (%s)', (transport) => {
  test('every call names its own function', async () => {
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
});
