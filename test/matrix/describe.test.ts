/**
 * describe(), probes() and attach()'s refusals against every CPython build of
 * the matrix, each running in its own root and seen from the host.
 */
import * as path from 'path';
import {
  attach,
  describe as describeProcess,
  describeBinary,
  EVENT_NAMES,
  EventName,
  probes,
  PytraceError,
} from '../../lib/index';
import { killStarted } from '../helpers/python';
import { build, BUILD_TIMEOUT_MS, ensureBuilds, startIn, Version, VERSIONS } from '../helpers/builds';

beforeAll(ensureBuilds, BUILD_TIMEOUT_MS);
afterEach(killStarted);

const FRAME: EventName[] = ['function-entry', 'function-return', 'line'];
const OTHERS: EventName[] = ['gc-start', 'gc-done', 'import-find-load-start', 'import-find-load-done', 'audit'];

/** Which events each build can give (cpython-markers reference, checked against the binaries). */
const FIRES: Record<Version, EventName[]> = {
  '3.9': [...FRAME, ...OTHERS],
  '3.11': [...FRAME, ...OTHERS],
  '3.13': OTHERS,
  '3.14': OTHERS,
  '3.15': ['function-entry', 'function-return', ...OTHERS],
};

/** Locations per marker, as readelf -n lists them in Debian's builds. */
const LOCATIONS: Record<Version, Record<string, number>> = {
  '3.9': {
    function__entry: 1,
    function__return: 1,
    line: 1,
    gc__start: 1,
    gc__done: 1,
    import__find__load__start: 1,
    import__find__load__done: 1,
    audit: 1,
  },
  '3.11': {
    function__entry: 1,
    function__return: 1,
    line: 1,
    gc__start: 1,
    gc__done: 1,
    import__find__load__start: 1,
    import__find__load__done: 1,
    audit: 1,
  },
  '3.13': { gc__start: 1, gc__done: 1, import__find__load__start: 1, import__find__load__done: 1, audit: 1 },
  '3.14': { gc__start: 1, gc__done: 1, import__find__load__start: 1, import__find__load__done: 1, audit: 5 },
  '3.15': {
    function__entry: 1,
    function__return: 1,
    gc__start: 1,
    gc__done: 1,
    import__find__load__start: 2,
    import__find__load__done: 2,
    audit: 4,
  },
};

function countBy(names: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of names) out[n] = (out[n] ?? 0) + 1;
  return out;
}

describe.each(VERSIONS)('Python %s', (version) => {
  test('describe(pid): version, build, and what each event gives', async () => {
    const b = build(version);
    const py = await startIn(b, 'idle.py');
    const d = describeProcess(py.pid);
    expect(d.pid).toBe(py.pid);
    expect(d.version).toBe(version);
    expect(d.build).toBe('executable');
    // Paths as the process names them, inside its root.
    expect(d.executable).toBe(b.python);
    expect(d.markerObject).toBe(b.python);
    for (const e of EVENT_NAMES) {
      const fires = FIRES[version].includes(e);
      expect({ e, available: d.events[e].available, fires: d.events[e].fires }).toEqual({ e, available: fires, fires });
      if (!fires) expect(d.events[e].note).toMatch(new RegExp(`${version}|no \\w+ marker`));
    }
    if (version === '3.11') expect(d.events['function-entry'].note).toMatch(/line semaphore/);
    if (version === '3.13' || version === '3.14') expect(d.events['function-entry'].note).toMatch(/PEP 669/);
    if (version === '3.15') {
      expect(d.events['function-entry'].note).toMatch(/generator/);
      expect(d.events.line.note).toMatch(/no line marker/);
    }
    expect(countBy(d.locations.map((l) => l.name))).toEqual(LOCATIONS[version]);
    // Opened through the process's root: the host path of the same file.
    for (const l of d.locations) expect(l.openPath).toBe(`/proc/${py.pid}/root${b.python}`);
  });

  test('probes(pid) and describeBinary() agree with readelf on every location', async () => {
    const b = build(version);
    const py = await startIn(b, 'idle.py');
    const mine = probes(py.pid).filter((l) => l.provider === 'python');
    expect(countBy(mine.map((l) => l.name))).toEqual(LOCATIONS[version]);
    // Every location distinct, each with its semaphore mapped in the process.
    expect(new Set(mine.map((l) => l.offset)).size).toBe(mine.length);
    for (const l of mine) expect(l.semaphoreAddress).toBeDefined();

    const exe = describeBinary(path.join(b.root, b.python));
    expect({ version: exe.version, build: exe.build, pid: exe.pid }).toEqual({
      version,
      build: 'executable',
      pid: null,
    });
    expect(countBy(exe.locations.map((l) => l.name))).toEqual(LOCATIONS[version]);
    expect(EVENT_NAMES.filter((e) => exe.events[e].fires)).toEqual(FIRES[version]);
    // Debian's libpython carries the same markers, as a shared library.
    const lib = describeBinary(path.join(b.root, b.libpython!));
    expect({ version: lib.version, build: lib.build }).toEqual({ version, build: 'shared-library' });
    expect(EVENT_NAMES.filter((e) => lib.events[e].fires)).toEqual(FIRES[version]);
  });

  test('attach(): a missing marker is PYTRACE_MARKER_UNAVAILABLE; the defaults attach what fires', async () => {
    const b = build(version);
    const py = await startIn(b, 'idle.py');
    for (const e of EVENT_NAMES.filter((e) => !FIRES[version].includes(e))) {
      const err = await attach(py.pid, { events: [e] }).then(
        () => null,
        (x: unknown) => x,
      );
      expect(err).toBeInstanceOf(PytraceError);
      expect((err as PytraceError).code).toBe('PYTRACE_MARKER_UNAVAILABLE');
      expect((err as PytraceError).message).toContain(version);
    }
    const trace = await attach(py.pid);
    try {
      // Every event that fires, except line: traced only when named.
      expect(trace.events).toEqual(FIRES[version].filter((e) => e !== 'line'));
      expect(trace.description.version).toBe(version);
    } finally {
      await trace.detach();
    }
  });
});
