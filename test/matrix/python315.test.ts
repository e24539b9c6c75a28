/**
 * CPython 3.15's call markers, as measured: a call that creates a generator
 * or coroutine fires an entry and no return (pytrace adds the return, marked
 * generatorCreated); closing a suspended generator fires nothing; class
 * bodies and generator expressions start at line -1. Entries and returns must
 * still nest, and the calls hierarchy equal 3.11's once the creations are
 * taken out.
 */
import { attach, FrameEvent } from '../../lib/index';
import { Collector, defLine, killStarted, markedLine, within } from '../helpers/python';
import { build, BUILD_TIMEOUT_MS, ensureBuilds, hostScript, startIn, traceCalls } from '../helpers/builds';

beforeAll(ensureBuilds, BUILD_TIMEOUT_MS);
afterEach(killStarted);

const SCRIPT = hostScript('generators.py');
const G = defLine(SCRIPT, 'gen');
const C = markedLine(SCRIPT, 'coro');
const L = defLine(SCRIPT, 'leaf');
const M = defLine(SCRIPT, 'method');
const O = defLine(SCRIPT, 'outer');
const E = markedLine(SCRIPT, 'genexpr');

/** ">name:line" per entry, "<name:line" per return, "*" on the returns pytrace added. */
function calls(frames: FrameEvent[]): string[] {
  return frames
    .filter((f) => f.function !== '<module>' && !f.function.startsWith('scenario_'))
    .map((f) => `${f.type === 'function-entry' ? '>' : '<'}${f.function}:${f.lineno}${f.generatorCreated ? '*' : ''}`);
}

/** The same without the creations' entry and added return, and without lines. */
function withoutCreations(seq: string[]): string[] {
  const out: string[] = [];
  for (const s of seq) {
    if (s.endsWith('*')) out.pop();
    else out.push(s.replace(/:-?\d+$/, ''));
  }
  return out;
}

const SEEN: Record<string, string[]> = {
  // Created and dropped: the creation is all that fires (closing it fires nothing).
  unused: [`>gen:${G}`, `<gen:${G}*`],
  stored: [
    `>gen:${G}`,
    `<gen:${G}*`,
    `>leaf:${L}`,
    `<leaf:${L + 1}`,
    `>gen:${G}`,
    `<gen:${G + 2}`,
    `>gen:${G + 2}`,
    `<gen:${G + 2}`,
    `>gen:${G + 2}`,
    `<gen:${G + 1}`,
  ],
  // 3.11 resumes the generator to close it (an entry and a return); 3.15 does not.
  closed: [`>gen:${G}`, `<gen:${G}*`, `>gen:${G}`, `<gen:${G + 2}`],
  coroutine: [`>coro:${C}`, `<coro:${C}*`, `>coro:${C}`, `<coro:${C + 1}`],
  genexpr: [
    '><genexpr>:-1',
    '<<genexpr>:-1*',
    ...Array(4)
      .fill([`><genexpr>:${E}`, `<<genexpr>:${E}`])
      .flat(),
  ],
  class_body: ['>Body:-1', `<Body:${M}`, `>method:${M}`, `<method:${M + 1}`],
  yield_from: [
    ...[
      `>outer:${O}`,
      `<outer:${O}*`,
      `>outer:${O}`,
      `>gen:${G}`,
      `<gen:${G}*`,
      `>gen:${G}`,
      `<gen:${G + 2}`,
      `<outer:${O + 1}`,
    ],
    ...[`>outer:${O + 1}`, `>gen:${G + 2}`, `<gen:${G + 2}`, `<outer:${O + 1}`],
    ...[`>outer:${O + 1}`, `>gen:${G + 2}`, `<gen:${G + 1}`, `<outer:${O + 1}`],
  ],
};

const RESULTS: Record<string, unknown> = {
  unused: 1,
  stored: [0, 1],
  closed: 0,
  coroutine: 7,
  genexpr: 3,
  class_body: 1,
  yield_from: [0, 1],
};

test.each(Object.keys(SEEN))('3.15 %s: exact entries and returns, nesting per thread', async (scenario) => {
  const run = await traceCalls('3.15', 'generators.py', [scenario]);
  expect(run.result).toEqual(RESULTS[scenario]);
  expect(calls(run.frames)).toEqual(SEEN[scenario]);
  // Depth as a viewer counts it: never below the scenario, back to 0 at its end.
  let depth = 0;
  for (const f of run.frames.filter((f) => f.function !== '<module>')) {
    depth += f.type === 'function-entry' ? 1 : -1;
    expect(depth).toBeGreaterThanOrEqual(f.function.startsWith('scenario_') ? 0 : 1);
  }
  expect(depth).toBe(0);
});

test.each(['stored', 'coroutine', 'genexpr', 'class_body', 'yield_from'])(
  '%s: the same calls as on 3.11 once creations are taken out',
  async (scenario) => {
    const v315 = await traceCalls('3.15', 'generators.py', [scenario]);
    const v311 = await traceCalls('3.11', 'generators.py', [scenario]);
    expect(withoutCreations(calls(v315.frames))).toEqual(withoutCreations(calls(v311.frames)));
  },
);

test('3.15 within a generator function: only its frames, the creation included, nothing after', async () => {
  const py = await startIn(build('3.15'), 'generators.py', ['yield_from']);
  const trace = await attach(py.pid, { events: ['function-entry', 'function-return'], within: 'outer' });
  const c = new Collector(trace);
  py.go();
  await py.result();
  await within(c.closed, 10000, 'close');
  // The kernel counts the creation's entry as entering outer(): until it also
  // sees the return pytrace adds, everything after outer() looks inside it.
  expect(calls(c.frames(py.script))).toEqual(SEEN.yield_from);
  expect(new Set(c.events.map((e) => 'function' in e && e.function))).toEqual(new Set(['outer', 'gen']));
});
