/** attach()'s option checks and defaults, without a kernel: lib/api/options.ts. */
import { PytraceError } from '../../lib/errors';
import * as os from 'os';
import { DEFAULTS, isDefaultEvent, perfPagesFor, resolveOptions } from '../../lib/api/options';
import { EVENT_NAMES } from '../../lib/markers';

function refusal(options: unknown): PytraceError {
  try {
    resolveOptions(options);
  } catch (e) {
    expect(e).toBeInstanceOf(PytraceError);
    return e as PytraceError;
  }
  throw new Error(`${JSON.stringify(options)} was accepted`);
}

test('no options: every default, from the one table', () => {
  const cpus = os.cpus().length;
  expect(resolveOptions(undefined)).toEqual({ ...DEFAULTS, perfPages: perfPagesFor(16 << 20, cpus) });
  expect(resolveOptions({})).toEqual({
    transport: 'auto',
    ringBytes: 16 << 20,
    wakeupBytes: 64 << 10,
    drainMs: 5,
    minDrainGapUs: 250,
    batchBytes: 256 << 10,
    maxPendingBatches: 16,
    onBackpressure: 'pause',
    subprocesses: false,
    durations: true,
    perfPages: perfPagesFor(16 << 20, cpus),
  });
});

test('the perf buffer holds what the ring would, spread over the CPUs, at least 64 pages', () => {
  expect(perfPagesFor(16 << 20, 2)).toBe(2048);
  expect(perfPagesFor(16 << 20, 3)).toBe(1024);
  expect(perfPagesFor(1 << 20, 8)).toBe(64);
  expect(resolveOptions({ perfPages: 8 }).perfPages).toBe(8);
});

test('given values replace the defaults; undefined means not given', () => {
  expect(resolveOptions({ ringBytes: 1 << 20, within: 'main', events: ['line'], drainMs: undefined })).toEqual({
    ...DEFAULTS,
    ringBytes: 1 << 20,
    perfPages: perfPagesFor(1 << 20),
    within: 'main',
    events: ['line'],
  });
});

test('every bad value names its option', () => {
  const cases: [object, string][] = [
    [{ transport: 'xyz' }, 'transport'],
    [{ transport: 1 }, 'transport'],
    [{ ringBytes: 3 }, 'ringBytes'],
    [{ ringBytes: '4096' }, 'ringBytes'],
    [{ ringBytes: 1 << 31 }, 'ringBytes'],
    [{ ringBytes: Infinity }, 'ringBytes'],
    [{ ringBytes: 4096n }, 'ringBytes'],
    [{ wakeupBytes: -1 }, 'wakeupBytes'],
    [{ ringBytes: 8192, wakeupBytes: 16384 }, 'wakeupBytes'],
    [{ drainMs: 0 }, 'drainMs'],
    [{ minDrainGapUs: -1 }, 'minDrainGapUs'],
    [{ batchBytes: 100 }, 'batchBytes'],
    [{ maxPendingBatches: 1.5 }, 'maxPendingBatches'],
    [{ onBackpressure: 'explode' }, 'onBackpressure'],
    [{ perfPages: 0 }, 'perfPages'],
    [{ events: 'line' }, 'events'],
    [{ events: [] }, 'events'],
    [{ events: {} }, 'events'],
    [{ events: null }, 'events'],
    [{ within: '' }, 'within'],
    [{ within: 'é'.repeat(32) }, 'within'],
    [{ within: ['main'] }, 'within'],
    [{ ringSize: 4096 }, 'ringSize'],
  ];
  for (const [options, name] of cases) {
    const e = refusal(options);
    expect([options, e.code]).toEqual([options, 'PYTRACE_BAD_OPTION']);
    expect(e.message).toContain(`"${name}"`);
  }
  for (const options of [null, 5, 'line', ['line']]) expect(refusal(options).code).toBe('PYTRACE_BAD_OPTION');
});

test('an event name that does not exist is PYTRACE_UNKNOWN_EVENT, as before', () => {
  const e = refusal({ events: ['function-entry', 'nope'] });
  expect(e.code).toBe('PYTRACE_UNKNOWN_EVENT');
  expect(e.message).toContain('"nope"');
});

test('the edges of each range are allowed', () => {
  for (const options of [
    { ringBytes: 4096, wakeupBytes: 4096 },
    { ringBytes: 4096 },
    { ringBytes: 1 << 30 },
    { drainMs: 1, minDrainGapUs: 0, maxPendingBatches: 1, perfPages: 1, batchBytes: 4096 },
    { within: 'f'.repeat(63) },
    { within: 'é'.repeat(31) },
  ])
    expect(() => resolveOptions(options)).not.toThrow();
});

test('default events: every one but line', () => {
  expect(EVENT_NAMES.filter(isDefaultEvent)).toEqual(EVENT_NAMES.filter((e) => e !== 'line'));
});
