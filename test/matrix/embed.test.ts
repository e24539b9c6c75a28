/**
 * A C program embedding CPython through the system's libpython3.11.so
 * (test/fixtures/embed): the markers are in the shared library, not in the
 * executable. describe() says so, and every event is as exact as with
 * python3.11 itself.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import { attach, describe as describeProcess, EVENT_NAMES, TraceEvent } from '../../lib/index';
import {
  Collector,
  countBy,
  killStarted,
  nestingProblems,
  Python,
  startPython,
  tempDir,
  within,
} from '../helpers/python';

let embed: string;
let cleanup: () => void;

beforeAll(() => {
  const tmp = tempDir('pytrace-embed-');
  cleanup = tmp.remove;
  embed = execFileSync(path.resolve(__dirname, '../fixtures/embed/build.sh'), [tmp.dir], { encoding: 'utf8' }).trim();
}, 60000);
afterAll(() => cleanup?.());
afterEach(killStarted);

/** A script of test/scripts, or of test/matrix/scripts as "../matrix/scripts/NAME". */
async function run(
  name: string,
  args: string[],
  events: TraceEvent['type'][],
): Promise<{ py: Python; c: Collector; result: unknown }> {
  const py = await startPython(name, args, { python: embed });
  const trace = await attach(py.pid, { events });
  const c = new Collector(trace);
  py.go();
  const result = await py.result();
  await within(c.closed, 10000, 'close after the program exits');
  expect(c.lost).toEqual([]);
  for (const e of c.events) expect(e.pid).toBe(py.pid);
  return { py, c, result };
}

test("describe(): build 'shared-library', markers in libpython3.11, every event fires", async () => {
  const py = await startPython('idle.py', [], { python: embed });
  const d = describeProcess(py.pid);
  expect(d.executable).toBe(embed);
  expect(d.version).toBe('3.11');
  expect(d.build).toBe('shared-library');
  expect(d.markerObject).toMatch(/\/libpython3\.11\.so\.1\.0$/);
  for (const l of d.locations)
    expect({ path: l.path, shared: l.shared }).toEqual({ path: d.markerObject, shared: true });
  expect(EVENT_NAMES.filter((e) => d.events[e].fires)).toEqual(EVENT_NAMES);
});

test('calls: nested, recursion and generator, exact and nesting', async () => {
  const frames = async (scenario: string) => {
    const { py, c, result } = await run('calls.py', [scenario], ['function-entry', 'function-return']);
    const f = c.frames(py.script);
    expect(nestingProblems(f)).toEqual([]);
    const count = (type: string) =>
      countBy(
        f.filter((e) => e.type === type && e.function !== '<module>'),
        (e) => e.function,
      );
    return { entries: count('function-entry'), returns: count('function-return'), result };
  };
  const nested = await frames('nested');
  expect([nested.result, nested.entries, nested.returns]).toEqual([
    15,
    ...Array(2).fill({ scenario_nested: 1, outer: 1, middle: 2, inner: 6 }),
  ]);
  const fib = await frames('recursion');
  expect([fib.result, fib.entries, fib.returns]).toEqual([55, ...Array(2).fill({ scenario_recursion: 1, fib: 177 })]);
  const gen = await frames('generator');
  expect([gen.result, gen.entries, gen.returns]).toEqual([
    10,
    ...Array(2).fill({ scenario_generator: 1, consume: 1, gen: 6 }),
  ]);
});

test('gc, imports and audit between marks: exact', async () => {
  const marked = (c: Collector) => {
    const marks = c.events.filter((e) => e.type === 'audit' && e.event === 'pytrace.mark');
    expect(marks.length).toBe(2);
    return c.events.slice(c.events.indexOf(marks[0]) + 1, c.events.indexOf(marks[1]));
  };
  const gc = await run('../matrix/scripts/events.py', ['gc'], ['gc-start', 'gc-done', 'audit']);
  const gcEvents = marked(gc.c).map((e) =>
    e.type === 'gc-start' ? `start ${e.generation}` : e.type === 'gc-done' ? `done ${e.collected}` : e.type,
  );
  const collected = gc.result as number[];
  expect(gcEvents).toEqual([
    'start 0',
    `done ${collected[0]}`,
    'start 1',
    `done ${collected[1]}`,
    'start 2',
    `done ${collected[2]}`,
  ]);

  const imports = await run(
    '../matrix/scripts/events.py',
    ['imports'],
    ['import-find-load-start', 'import-find-load-done'],
  );
  const mods = imports.c.events.filter(
    (e): e is Extract<TraceEvent, { module: string }> => 'module' in e && /colorsys|no_such/.test(e.module),
  );
  expect(mods.map((e) => `${e.type} ${e.module}${'found' in e ? ' ' + e.found : ''}`)).toEqual([
    'import-find-load-start colorsys',
    'import-find-load-done colorsys true',
    'import-find-load-start no_such_module_xyz',
    'import-find-load-done no_such_module_xyz false',
  ]);

  const audit = await run('../matrix/scripts/events.py', ['audit'], ['audit']);
  expect(marked(audit.c).map((e) => e.type === 'audit' && e.event)).toEqual([
    'open',
    'open',
    'open',
    'sys._getframe',
    'sys._getframe',
    'sys.settrace',
    'pytrace.custom',
  ]);
});
