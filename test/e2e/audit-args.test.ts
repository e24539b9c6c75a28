/**
 * Audit events' arguments, read from the tuple in the kernel: each kind in
 * its one JSON form, exactly, and as text exactly as Python's repr() shows
 * the same tuple (visibly cut where the kernel cut).
 */
import { attach, AuditEvent } from '../../lib/index';
import { reprArgs } from '../../lib/audit-repr';
import { toJson } from '../../lib/cli/output';
import { Collector, killStarted, startPython, within } from '../helpers/python';

afterEach(killStarted);

const hex = (s: string) => Buffer.from(s, 'latin1').toString('hex');

test('every kind of argument: typed JSON, and text as repr() shows it', async () => {
  const py = await startPython('audit_args.py');
  const trace = await attach(py.pid, { events: ['audit'] });
  const c = new Collector(trace);
  py.go();
  const reprs = new Map(await py.result<[string, string][]>());
  await within(c.closed, 10000, 'close after the script exits');
  const mine = (c.ofType('audit') as AuditEvent[]).filter((e) => e.event.startsWith('pytrace.') || e.event === 'open');

  // What NDJSON carries: the event's own fields through the CLI's JSON writer.
  const json = mine.map((e) => JSON.parse(toJson({ event: e.event, argCount: e.argCount, args: e.args })));
  expect(json).toEqual([
    { event: 'pytrace.kinds', argCount: 4, args: ['text', { bytes: hex('by\x00tes') }, 42, null] },
    { event: 'pytrace.ints', argCount: 6, args: [-7, 2 ** 59, -(2 ** 40), 0, 2 ** 100, -(2 ** 200)] },
    { event: 'pytrace.quotes', argCount: 6, args: ['\x00123', { bytes: '00ff' }, "it's", 'say "hi"', 'both \' and "', 'back\\slash'] },
    { event: 'pytrace.bytes', argCount: 6, args: [{ bytes: hex("it's") }, { bytes: hex('"') }, { bytes: hex('\'"') }, { bytes: hex('\\') }, { bytes: hex('\t\n\r\x7f') }, { bytes: '' }] },
    { event: 'pytrace.text', argCount: 6, args: ['caf\u00e9', '\u0100\u20ac', '\u{1f600} ok', 'tab\tnl\n\x1b[2J', '\x7f\x80\x9f\xa0', '\u200b\u2028'] },
    { event: 'pytrace.nested', argCount: 4, args: [['127.0.0.1', 80], ['::1', 8080, 0, 0], [], ['one']] },
    { event: 'pytrace.other', argCount: 3, args: [{ type: 'list' }, { type: 'dict' }, { type: 'float' }] },
    {
      event: 'pytrace.long',
      argCount: 5,
      args: [
        { str: 'x'.repeat(256), truncated: true },
        { bytes: hex('y'.repeat(256)), truncated: true },
        { str: '\u00e9'.repeat(256), truncated: true },
        { str: '\u20ac'.repeat(128), truncated: true },
        { type: 'int' },
      ],
    },
    { event: 'pytrace.deep', argCount: 2, args: [[{ tuple: [], size: 2, truncated: true }], { tuple: [1, 2, 3, 4], size: 5, truncated: true }] },
    { event: 'pytrace.many', argCount: 8, args: [1, 2, 3, 4, 5, 6] },
    { event: 'pytrace.none', argCount: 0, args: [] },
    { event: 'open', argCount: 3, args: [py.script, 'r', 524288] },
  ]);
  // Ints beyond 2^53 are bigints in the API, exact in JSON.
  expect(mine[1].args).toEqual([-7, 2n ** 59n, -(2 ** 40), 0, 2n ** 100n, -(2n ** 200n)]);
  expect(toJson(mine[1].args)).toBe(`[-7,${2n ** 59n},${-(2 ** 40)},0,${2n ** 100n},${-(2n ** 200n)}]`);

  // Text: what repr() printed in the traced process, wherever nothing was cut.
  const text = new Map(mine.map((e) => [e.event, reprArgs(e.args!, e.argCount!)]));
  for (const name of ['pytrace.kinds', 'pytrace.ints', 'pytrace.quotes', 'pytrace.bytes', 'pytrace.text', 'pytrace.nested', 'pytrace.none'])
    expect([name, text.get(name)]).toEqual([name, reprs.get(name)]);
  expect(text.get('pytrace.other')).toBe('(<list>, <dict>, <float>)');
  expect(text.get('pytrace.long')).toBe(`('${'x'.repeat(256)}'…, b'${'y'.repeat(256)}'…, '${'\u00e9'.repeat(256)}'…, '${'\u20ac'.repeat(128)}'…, <int>)`);
  expect(text.get('pytrace.deep')).toBe('(((…),), (1, 2, 3, 4, …))');
  expect(text.get('pytrace.many')).toBe('(1, 2, 3, 4, 5, 6, …)');
  expect(trace.stats().lost).toBe(0);
});
