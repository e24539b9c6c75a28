/**
 * gc, import and audit events with exact counts on every build, traced from
 * the host by the PID of a Python chroot'ed into its root; markers with
 * several locations (audit in 3.14 and 3.15, imports in 3.15) deliver the
 * events of every location.
 */
import { attach, AuditEvent, EventName, TraceEvent } from '../../lib/index';
import { targetsFor } from '../../lib/planning/targets';
import { Collector, killStarted, within } from '../helpers/python';
import { build, BUILD_TIMEOUT_MS, ensureBuilds, RootPython, startIn, Version, VERSIONS } from '../helpers/builds';

beforeAll(ensureBuilds, BUILD_TIMEOUT_MS);
afterEach(killStarted);

/** Events strictly between the two "pytrace.mark" audit events (begin, end) of the script. */
function window(c: Collector): TraceEvent[] {
  const marks = c.events.filter((e) => e.type === 'audit' && e.event === 'pytrace.mark');
  expect(marks.length).toBe(2);
  const begin = c.events.indexOf(marks[0]);
  const end = c.events.indexOf(marks[1]);
  return c.events.slice(begin + 1, end);
}

async function run(
  version: Version,
  script: string,
  args: string[],
  events?: EventName[],
): Promise<{ py: RootPython; c: Collector; result: unknown }> {
  const py = await startIn(build(version), script, args);
  const trace = await attach(py.pid, events ? { events } : {});
  const c = new Collector(trace);
  py.go();
  const result = await py.result();
  await within(c.closed, 10000, 'close after the script exits');
  expect(c.lost).toEqual([]);
  for (const e of c.events) expect(e.pid).toBe(py.pid);
  return { py, c, result };
}

const audits = (events: TraceEvent[]) => events.filter((e): e is AuditEvent => e.type === 'audit').map((e) => e.event);

describe.each(VERSIONS)('Python %s', (version) => {
  test('gc.collect(0), (1), (2): those generations, each start followed by its done', async () => {
    const { c, py, result } = await run(version, 'events.py', ['gc'], ['gc-start', 'gc-done', 'audit']);
    const collected = result as number[];
    const gc = window(c).filter((e) => e.type === 'gc-start' || e.type === 'gc-done');
    expect(gc.map((e) => (e.type === 'gc-start' ? `start ${e.generation}` : 'done'))).toEqual([
      'start 0',
      'done',
      'start 1',
      'done',
      'start 2',
      'done',
    ]);
    expect(gc.map((e) => e.type === 'gc-done' && e.collected).filter((n) => n !== false)).toEqual(collected);
    expect(collected[0]).toBeGreaterThanOrEqual(3);
    for (const e of gc) expect(e.tid).toBe(py.pid);
  });

  test("imports: found and not found, each start with its done and its 'import' audit event", async () => {
    const { c, result } = await run(
      version,
      'events.py',
      ['imports'],
      ['import-find-load-start', 'import-find-load-done', 'audit'],
    );
    expect(result).toEqual({ already: false, missing: true });
    const w = window(c);
    const imports = w.filter((e) => e.type === 'import-find-load-start' || e.type === 'import-find-load-done');
    expect(imports.map((e) => [e.type, 'module' in e && e.module, 'found' in e ? e.found : null])).toEqual([
      ['import-find-load-start', 'colorsys', null],
      ['import-find-load-done', 'colorsys', true],
      ['import-find-load-start', 'no_such_module_xyz', null],
      ['import-find-load-done', 'no_such_module_xyz', false],
    ]);
    // 3.14 sends "import" through its fifth audit location, 3.15 through its second.
    expect(audits(w).filter((a) => a === 'import')).toEqual(['import', 'import']);
  });

  test('audit: every kind arrives exactly, whichever location of the marker raised it', async () => {
    const { c } = await run(version, 'events.py', ['audit'], ['audit']);
    // open() and sys._getframe(), sys.settrace(), sys.audit(): one location
    // each in 3.14 and 3.15 (see test/matrix/scripts/events.py).
    expect(audits(window(c))).toEqual([
      'open',
      'open',
      'open',
      'sys._getframe',
      'sys._getframe',
      'sys.settrace',
      'pytrace.custom',
    ]);
  });

  test('audit: every location of the marker is attached', async () => {
    const py = await startIn(build(version), 'idle.py');
    const trace = await attach(py.pid, { events: ['audit', 'import-find-load-start', 'import-find-load-done'] });
    try {
      const d = trace.description;
      for (const marker of ['audit', 'import__find__load__start', 'import__find__load__done']) {
        const locs = d.locations.filter((l) => l.name === marker).map((l) => Number(l.offset));
        expect(locs.length).toBeGreaterThan(0);
        const event =
          marker === 'audit'
            ? 'audit'
            : marker === 'import__find__load__start'
              ? 'import-find-load-start'
              : 'import-find-load-done';
        expect(
          targetsFor(d, [event])
            .map((t) => t.offset)
            .sort(),
        ).toEqual(locs.sort());
      }
    } finally {
      await trace.detach();
    }
  });

  test('attach() with the defaults: every event that fires, exit and close', async () => {
    const { c } = await run(version, 'events.py', ['audit']);
    const seen = new Set(c.events.map((e) => e.type));
    expect(seen.has('audit')).toBe(true);
    expect(c.order).toEqual(['exit', 'close']);
    expect(audits(window(c)).filter((a) => a === 'open')).toEqual(['open', 'open', 'open']);
    // Versions without call markers send no frame event; the others do.
    const frames = c.events.filter((e) => e.type === 'function-entry' || e.type === 'function-return');
    expect(frames.length > 0).toBe(['3.9', '3.11', '3.15'].includes(version));
  });
});

test('3.15: a lazy "from package import submodule" arrives through the second import locations', async () => {
  const { c, result } = await run(
    '3.15',
    'lazy_imports.py',
    [],
    ['import-find-load-start', 'import-find-load-done', 'audit'],
  );
  expect(result).toBe('json.tool');
  const w = window(c).filter((e): e is Extract<TraceEvent, { module: string }> => 'module' in e);
  const tool = w.filter((e) => e.module === 'json.tool').map((e) => [e.type, 'found' in e ? e.found : null]);
  expect(tool).toEqual([
    ['import-find-load-start', null],
    ['import-find-load-done', true],
  ]);
  // json itself came through the first ones; every start has its done.
  expect(w.filter((e) => e.module === 'json').length).toBe(2);
  const starts = w.filter((e) => e.type === 'import-find-load-start').map((e) => e.module);
  const dones = w.filter((e) => e.type === 'import-find-load-done').map((e) => e.module);
  expect([...dones].sort()).toEqual([...starts].sort());
});
