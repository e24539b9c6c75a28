/**
 * Audit events' arguments, read from the tuple in the kernel: each kind in
 * its one JSON form, exactly, and as text exactly as Python's repr() shows
 * the same tuple (visibly cut where the kernel cut).
 */
import { attach, AuditEvent } from '../../lib/index';
import { Collector, killStarted, startPython, within } from '../helpers/python';
import { expectAuditArgs } from '../helpers/string-cases';

afterEach(killStarted);

test('every kind of argument: typed JSON, and text as repr() shows it', async () => {
  const py = await startPython('audit_args.py');
  const trace = await attach(py.pid, { events: ['audit'] });
  const c = new Collector(trace);
  py.go();
  const reprs = new Map(await py.result<[string, string][]>());
  await within(c.closed, 10000, 'close after the script exits');
  const audits = c.ofType('audit') as AuditEvent[];
  expectAuditArgs(audits, reprs);
  expect(audits.filter((e) => e.event === 'open').map((e) => e.args)).toEqual([[py.script, 'r', 524288]]);
  expect(trace.stats().lost).toBe(0);
});
