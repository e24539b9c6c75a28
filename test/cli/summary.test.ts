/**
 * pytrace calls --summary: per function calls, total, self, mean and max,
 * by self time; counts exact, times against the script's own sleeps.
 */
import * as path from 'path';
import { ATTACHED, FINISHED, killAll, Proc, pytrace, PYTHON } from './helpers';

afterEach(killAll);

const TIMED = path.resolve(__dirname, '../scripts/timed_calls.py');

interface Row {
  filename: string;
  function: string;
  lineno: number;
  calls: number;
  totalNs: number;
  selfNs: number;
  meanNs: number;
  maxNs: number;
}

async function timedTarget(): Promise<Proc> {
  const py = new Proc(PYTHON, [TIMED]);
  await py.waitFor(/^ready$/m);
  return py;
}

async function summarize(...flags: string[]): Promise<{ cli: Proc; result: { slept: { g: number[]; h: number[] } } }> {
  const py = await timedTarget();
  const cli = pytrace('calls', '--summary', ...flags, String(py.pid));
  await cli.waitFor(ATTACHED, 'stderr');
  py.child.stdin!.write('go\n');
  expect((await cli.exited).code).toBe(0);
  await py.exited;
  return { cli, result: JSON.parse(/^result (.*)$/m.exec(py.stdout)![1]) };
}

const near = (ns: number, expected: number) => Math.abs(ns - expected) < 1_000_000;

test('--json: exact counts, g and h as long as their sleeps, f without g, sorted by self time', async () => {
  const { cli, result } = await summarize('--json');
  expect(cli.lines).toHaveLength(1);
  const summary = JSON.parse(cli.lines[0]) as { type: string; calls: number; unpaired: number; functions: Row[] };
  expect(summary.type).toBe('summary');
  const rows = summary.functions.filter((r) => r.filename === TIMED);
  const by = Object.fromEntries(rows.map((r) => [r.function, r]));
  expect(Object.fromEntries(rows.map((r) => [r.function, r.calls]))).toEqual({
    main: 1,
    f: 1,
    g: 3,
    h: 2,
    worker: 1,
    counter: 4,
    catches: 1,
    fails: 1,
  });
  const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
  expect(near(by.g.totalNs, sum(result.slept.g))).toBe(true);
  expect(by.g.selfNs).toBe(by.g.totalNs);
  expect(near(by.g.maxNs, Math.max(...result.slept.g))).toBe(true);
  expect(by.g.meanNs).toBe(Math.round(by.g.totalNs / 3));
  expect(by.h.selfNs).toBe(by.h.totalNs);
  expect(near(by.h.totalNs, sum(result.slept.h))).toBe(true);
  expect(by.f.totalNs).toBeGreaterThanOrEqual(by.g.totalNs);
  expect(by.f.selfNs).toBe(by.f.totalNs - by.g.totalNs);
  expect(by.f.selfNs).toBeLessThan(1_000_000);
  for (let i = 1; i < summary.functions.length; i++)
    expect(summary.functions[i - 1].selfNs).toBeGreaterThanOrEqual(summary.functions[i].selfNs);
  // The module body's return: its entry came before the trace.
  expect(summary.unpaired).toBeGreaterThanOrEqual(1);
  expect(cli.stderr).toMatch(FINISHED);
});

test('text: a header, then one row per function, g with its 3 calls', async () => {
  const { cli } = await summarize();
  expect(cli.lines[0]).toMatch(
    /^\d+ calls of \d+ functions, \d+ returns without their entry \(called before tracing began\); by self time:$/,
  );
  expect(cli.lines[1]).toBe('    calls       total        self        mean         max  function');
  const g = cli.lines.find((l) => l.endsWith(` g (${TIMED}:16)`))!;
  expect(g).toMatch(/^ {8}3( +\d+\.\d{3} ms){4} {2}g /);
});
