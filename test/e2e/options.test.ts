/**
 * attach()'s options: nonsense is PYTRACE_BAD_OPTION, naming the option and
 * what it takes, before anything reaches the kernel; the default events are
 * every one that fires except line.
 */
import { attach, probes, PytraceError } from '../../lib/index';
import {
  Collector,
  expectedSemaphores,
  killStarted,
  privatePython,
  semaphores,
  startPython,
  within,
} from '../helpers/python';
import { siteBytes } from '../helpers/target-memory';

afterEach(killStarted);

const INT3 = 0xcc;

async function rejection(p: Promise<unknown>): Promise<PytraceError> {
  const e = await p.then(
    () => new Error('attach() resolved'),
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(PytraceError);
  return e as PytraceError;
}

/** [options, the option the message names, what the message says is allowed]. */
const BAD: [object, string, RegExp][] = [
  [{ transport: 'xyz' }, 'transport', /"auto", "ring", "perf", not "xyz"/],
  [{ ringBytes: 3 }, 'ringBytes', /power of two, from 4096 to \d+ \(bytes\), not 3\./],
  [{ ringBytes: 'abc' }, 'ringBytes', /not "abc"/],
  [{ ringBytes: 0 }, 'ringBytes', /not 0\./],
  [{ ringBytes: 3 << 12 }, 'ringBytes', /power of two/],
  [{ drainMs: -1 }, 'drainMs', /an integer from 1 to 60000 \(milliseconds\), not -1\./],
  [{ drainMs: 2.5 }, 'drainMs', /not 2\.5/],
  [{ minDrainGapUs: NaN }, 'minDrainGapUs', /not NaN/],
  [{ batchBytes: -1 }, 'batchBytes', /not -1/],
  [{ maxPendingBatches: 0 }, 'maxPendingBatches', /from 1 to/],
  [{ perfPages: 3 }, 'perfPages', /power of two/],
  [{ wakeupBytes: 32 << 20 }, 'wakeupBytes', /must not exceed ringBytes \(16777216\)/],
  [{ onBackpressure: 'explode' }, 'onBackpressure', /"pause", "drop", not "explode"/],
  [{ events: [] }, 'events', /\[\] would trace nothing/],
  [{ events: 'line' }, 'events', /not the string "line" \(write \["line"\]\)/],
  [{ events: [1] }, 'events', /holding 1/],
  [{ within: '' }, 'within', /"" names none/],
  [{ within: 'f'.repeat(64) }, 'within', /64 bytes, longer than the kernel compares/],
  [{ within: 'a\0b' }, 'within', /has a NUL/],
  [{ within: 7 }, 'within', /not 7\./],
  [{ ringbytes: 1 << 20 }, 'ringbytes', /Unknown option "ringbytes"\. Options: events, within, transport, ringBytes/],
];

test('each bad option: PYTRACE_BAD_OPTION naming it and what it takes; nothing raised in the target', async () => {
  const py = await startPython('idle.py', [], { python: privatePython() });
  for (const [options, name, allowed] of BAD) {
    const e = await rejection(attach(py.pid, options as never));
    expect([options, e.code]).toEqual([options, 'PYTRACE_BAD_OPTION']);
    expect(e.message).toContain(`"${name}"`);
    expect(e.message).toMatch(allowed);
  }
  const e = await rejection(attach(py.pid, null as never));
  expect(e.code).toBe('PYTRACE_BAD_OPTION');
  expect(semaphores(py.pid)).toEqual(expectedSemaphores([]));
});

test('options are checked before anything else: a bad one wins over a PID that does not exist', async () => {
  const e = await rejection(attach(999999999, { transport: 'xyz' as never }));
  expect(e.code).toBe('PYTRACE_BAD_OPTION');
});

test('good values at the edges of each range attach', async () => {
  const py = await startPython('calls.py', ['nested'], { python: privatePython() });
  const trace = await attach(py.pid, {
    events: ['function-entry'],
    ringBytes: 4096,
    wakeupBytes: 0,
    drainMs: 1,
    minDrainGapUs: 0,
    batchBytes: 4096,
    maxPendingBatches: 1,
    onBackpressure: 'drop',
    within: 'outer',
    transport: undefined,
  });
  const c = new Collector(trace);
  py.go();
  await py.result();
  await within(c.closed, 10000, 'close');
  // outer, its 2 middle calls and their 6 inner calls.
  expect(c.frames(py.script).length).toBe(9);
});

test('a plain attach on 3.11 attaches no line probe, and delivers entries and returns exactly', async () => {
  const py = await startPython('calls.py', ['nested'], { python: privatePython() });
  const locs = probes(py.pid).filter((l) => l.provider === 'python');
  const lineSites = locs.filter((l) => l.name === 'line');
  const entrySites = locs.filter((l) => l.name === 'function__entry');
  expect(lineSites.length).toBeGreaterThan(0);
  const trace = await attach(py.pid);
  expect(trace.events).toEqual([
    'function-entry',
    'function-return',
    'gc-start',
    'gc-done',
    'import-find-load-start',
    'import-find-load-done',
    'audit',
  ]);
  expect(trace.description.events.line).toMatchObject({ fires: true, default: false });
  expect(trace.description.events['function-entry']).toMatchObject({ fires: true, default: true });
  // A uprobe is an int3 at its location: on every entry site, on no line site.
  expect(siteBytes(py.pid, entrySites)).toEqual(entrySites.map(() => INT3));
  expect(siteBytes(py.pid, lineSites).filter((b) => b === INT3)).toEqual([]);
  // The line semaphore is raised (by the anchor), so that 3.11 fires entries.
  expect(semaphores(py.pid).line).toBe(1);

  const c = new Collector(trace);
  py.go();
  await py.result();
  await within(c.closed, 10000, 'close');
  expect(c.ofType('line')).toEqual([]);
  const frames = c.frames(py.script).filter((f) => f.function !== '<module>');
  const count = (type: string, fn: string) => frames.filter((f) => f.type === type && f.function === fn).length;
  for (const [fn, n] of [
    ['scenario_nested', 1],
    ['outer', 1],
    ['middle', 2],
    ['inner', 6],
  ] as const) {
    expect([fn, count('function-entry', fn), count('function-return', fn)]).toEqual([fn, n, n]);
  }
  expect(frames.length).toBe(20);
});

test('line is traced when named', async () => {
  const py = await startPython('calls.py', ['nested'], { python: privatePython() });
  const trace = await attach(py.pid, { events: ['line'] });
  const lineSites = probes(py.pid).filter((l) => l.provider === 'python' && l.name === 'line');
  expect(siteBytes(py.pid, lineSites)).toEqual(lineSites.map(() => INT3));
  const c = new Collector(trace);
  py.go();
  await py.result();
  await within(c.closed, 10000, 'close');
  expect(c.ofType('line').filter((e) => e.filename === py.script && e.function === 'inner').length).toBe(6);
});
