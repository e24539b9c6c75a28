/** Audit events' arguments, read from the tuple in the kernel: exact values of every kind. */
import { attach, AuditEvent } from '../../lib/index';
import { Collector, killStarted, startPython, within } from '../helpers/python';

afterEach(killStarted);

test('str, bytes, int and None by value; other objects by type; first 4 items; first 64 bytes', async () => {
  const py = await startPython('audit_args.py');
  const trace = await attach(py.pid, { events: ['audit'] });
  const c = new Collector(trace);
  py.go();
  await within(c.closed, 10000, 'close after the script exits');
  const mine = (c.ofType('audit') as AuditEvent[]).filter((e) => e.event.startsWith('pytrace.') || e.event === 'open');
  const shown = mine.map((e) => ({ event: e.event, argCount: e.argCount, args: e.args }));
  expect(shown).toEqual([
    { event: 'pytrace.kinds', argCount: 4, args: ['text', Buffer.from('by\x00tes', 'latin1'), 42, null] },
    // Beyond 2^53 an int is a bigint.
    { event: 'pytrace.ints', argCount: 4, args: [-7, 2n ** 59n, -(2 ** 40), 0] },
    // A non-ASCII str is not read in the kernel: undefined.
    { event: 'pytrace.other', argCount: 4, args: [{ type: 'list' }, { type: 'dict' }, { type: 'float' }, undefined] },
    { event: 'pytrace.long', argCount: 3, args: ['x'.repeat(64), Buffer.alloc(64, 'y'), { type: 'int' }] },
    { event: 'pytrace.many', argCount: 6, args: [1, 2, 3, 4] },
    { event: 'pytrace.none', argCount: 0, args: [] },
    { event: 'open', argCount: 3, args: [py.script, 'r', 524288] },
  ]);
  expect(trace.stats().lost).toBe(0);
});
