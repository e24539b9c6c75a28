/**
 * gc, import, audit and line events from python3.11 scripts with known
 * behaviour, and how a trace ends: by the target's exit or by detach().
 */
import { attach, FrameEvent, TraceEvent } from '../../lib/index';
import { Collector, countBy, defLine, killStarted, markedLine, sleep, startPython, within } from '../helpers/python';

const TRANSPORTS = ['ring', 'perf'] as const;

afterEach(killStarted);

/** Events strictly between the entries of mark_begin() and mark_end() in `file`. */
function window(events: TraceEvent[], file: string): TraceEvent[] {
  const isMark = (e: TraceEvent, fn: string) => e.type === 'function-entry' && e.filename === file && e.function === fn;
  const begin = events.findIndex((e) => isMark(e, 'mark_begin'));
  const end = events.findIndex((e) => isMark(e, 'mark_end'));
  expect(begin).toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThan(begin);
  return events.slice(begin + 1, end);
}

describe.each(TRANSPORTS)('through the %s buffer', (transport) => {
  test('gc.collect(0), (1), (2): those generations in order, each start followed by its done', async () => {
    const py = await startPython('gc_generations.py');
    const trace = await attach(py.pid, { transport, events: ['function-entry', 'gc-start', 'gc-done'] });
    const c = new Collector(trace);
    py.go();
    const collected = await py.result<number[]>();
    await within(c.closed, 10000, 'close');
    const gc = window(c.events, py.script).filter((e) => e.type === 'gc-start' || e.type === 'gc-done');
    expect(gc.map((e) => (e.type === 'gc-start' ? `start ${e.generation}` : 'done'))).toEqual([
      'start 0',
      'done',
      'start 1',
      'done',
      'start 2',
      'done',
    ]);
    // collected is what gc.collect() returned; the 3 cycles made before collect(0) are found there.
    expect(gc.filter((e) => e.type === 'gc-done').map((e) => (e as { collected: number }).collected)).toEqual(
      collected,
    );
    expect(collected[0]).toBeGreaterThanOrEqual(3);
    for (const e of gc) expect(e.tid).toBe(py.pid);
    expect(c.lost).toEqual([]);
  });

  test('imports: a stdlib module is found and loaded, a missing one is not found', async () => {
    const py = await startPython('imports.py');
    const trace = await attach(py.pid, { transport, events: ['import-find-load-start', 'import-find-load-done'] });
    const c = new Collector(trace);
    py.go();
    const result = await py.result<{ already: boolean; missing: boolean }>();
    await within(c.closed, 10000, 'close');
    expect(result.already).toBe(false);
    expect(result.missing).toBe(true);
    const ours = c.events
      .filter(
        (e): e is Extract<TraceEvent, { module: string }> =>
          'module' in e && (e.module === 'colorsys' || e.module === 'no_such_module_xyz'),
      )
      .map((e) => ({ type: e.type, module: e.module, found: 'found' in e ? e.found : undefined, tid: e.tid }));
    expect(ours).toEqual([
      { type: 'import-find-load-start', module: 'colorsys', found: undefined, tid: py.pid },
      { type: 'import-find-load-done', module: 'colorsys', found: true, tid: py.pid },
      { type: 'import-find-load-start', module: 'no_such_module_xyz', found: undefined, tid: py.pid },
      { type: 'import-find-load-done', module: 'no_such_module_xyz', found: false, tid: py.pid },
    ]);
    // Every start has its done, and no event of another kind slipped in.
    const starts = c.ofType('import-find-load-start').length;
    expect(c.ofType('import-find-load-done').length).toBe(starts);
    expect(c.events.length).toBe(2 * starts);
  });

  test("audit: open() raises an 'open' audit event each time", async () => {
    const py = await startPython('audit_open.py');
    const trace = await attach(py.pid, { transport, events: ['function-entry', 'audit'] });
    const c = new Collector(trace);
    py.go();
    await within(c.closed, 10000, 'close');
    const audits = window(c.events, py.script).filter((e) => e.type === 'audit');
    expect(audits.map((e) => (e as { event: string }).event)).toEqual(['open', 'open', 'open']);
  });

  test('line: exactly the lines executed, none for a one-line function, no entries or returns', async () => {
    const py = await startPython('lines.py');
    const trace = await attach(py.pid, { transport, events: ['line'] });
    const c = new Collector(trace);
    py.go();
    await within(c.closed, 10000, 'close');
    const L = (tag: string) => markedLine(py.script, tag);
    const lines = c.ofType('line').filter((e) => e.filename === py.script && e.function === 'lines_fn');
    // lines_fn(3): the loop header runs once per item and once more to end;
    // the backward jump to it counts as a new line each time.
    expect(lines.map((e) => e.lineno)).toEqual([
      L('init'),
      L('for'),
      L('body'),
      L('for'),
      L('body'),
      L('for'),
      L('body'),
      L('for'),
      L('if'),
      L('return'),
    ]);
    expect(lines.map((e) => e.lineno)).not.toContain(L('never'));
    expect(c.ofType('line').filter((e) => e.function === 'leaf')).toEqual([]);
    expect(c.ofType('function-entry')).toEqual([]);
    expect(c.ofType('function-return')).toEqual([]);
  });

  test('entries without line: no line event, and every call is entered (the 3.11 semaphore anchor)', async () => {
    const py = await startPython('lines.py');
    const trace = await attach(py.pid, { transport, events: ['function-entry', 'function-return'] });
    expect(trace.description.version).toBe('3.11');
    const c = new Collector(trace);
    let lineListener = 0;
    trace.on('line', () => lineListener++);
    py.go();
    await within(c.closed, 10000, 'close');
    expect(c.ofType('line')).toEqual([]);
    expect(lineListener).toBe(0);
    const frames = c.frames(py.script);
    const count = (type: FrameEvent['type']) =>
      countBy(
        frames.filter((f) => f.type === type && f.function !== '<module>'),
        (f) => f.function,
      );
    expect(count('function-entry')).toEqual({ lines_fn: 1, leaf: 100 });
    expect(count('function-return')).toEqual({ lines_fn: 1, leaf: 100 });
    expect(frames.find((f) => f.function === 'leaf')!.lineno).toBe(defLine(py.script, 'leaf'));
  });

  test('detach(): resolves after close, with every event since attach delivered, and nothing after', async () => {
    const py = await startPython('idle.py', ['20']);
    const trace = await attach(py.pid, { transport, events: ['function-entry', 'function-return'] });
    const c = new Collector(trace);
    py.go();
    await py.line((l) => l === 'done');
    const detached = trace.detach();
    expect(trace.detach()).toBe(detached);
    await within(detached, 5000, 'detach');
    expect(c.order).toEqual(['close']);
    expect(trace.closed).toBe(true);
    // The script called tick() only after attach() resolved: none may be missing.
    const ticks = c.frames(py.script).filter((f) => f.function === 'tick');
    expect(countBy(ticks, (f) => f.type)).toEqual({ 'function-entry': 20, 'function-return': 20 });
    expect(trace.stats().events).toBe(c.events.length);
    expect(trace.stats().lost).toBe(0);
    // The target carries on and exits untraced: no event, no 'exit'.
    const before = c.events.length;
    py.go();
    expect(await py.exited).toEqual({ code: 0, signal: null });
    await sleep(50);
    expect(c.events.length).toBe(before);
    expect(c.order).toEqual(['close']);
    expect(py.running).toBe(false);
  });
});

test.each(['ring', 'perf'] as const)(
  'target exits by itself (%s): exit, then close, with every event counted',
  async (transport) => {
    const py = await startPython('exits.py');
    const trace = await attach(py.pid, { transport });
    expect(trace.transport).toBe(transport);
    const c = new Collector(trace);
    py.go();
    await within(c.closed, 10000, 'close after exit');
    expect(await py.exited).toEqual({ code: 0, signal: null });
    expect(c.order).toEqual(['exit', 'close']);
    expect(c.exitEvent).toEqual(expect.objectContaining({ type: 'exit', pid: py.pid, reason: 'exit', code: 0 }));
    expect(trace.closed).toBe(true);
    const ticks = c.frames(py.script).filter((f) => f.function === 'tick');
    expect(countBy(ticks, (f) => f.type)).toEqual({ 'function-entry': 10, 'function-return': 10 });
    // Finalization's last marker, moments before the process ends, still arrives.
    const last = c.events[c.events.length - 1];
    expect(last).toMatchObject({ type: 'audit', event: 'cpython._PySys_ClearAuditHooks', tid: py.pid });
    const stats = trace.stats();
    expect(stats.events).toBe(c.events.length);
    expect(stats.lost).toBe(0);
    expect(stats.transport).toBe(transport);
    expect(c.lost).toEqual([]);
  },
);
