/** pytrace top: call counts per (pid, file, line, function), each interval, counted in the kernel. */
import { killAll, pytrace, script, target } from './helpers';

afterEach(killAll);

const COUNTING = /^pytrace: counting calls in .*Ctrl-C to stop$/m;
const FILE = script('busy.py');

interface Row {
  pid: number;
  filename: string;
  function: string;
  lineno: number;
  count: number;
}

/**
 * hot() runs twice per warm(). A read takes the counts key by key, so calls
 * made while it runs land in one interval or the next: allow 1%.
 */
function expectRatio(rows: Row[], pid: number): void {
  const hot = rows.find((r) => r.pid === pid && r.function === 'hot')!;
  const warm = rows.find((r) => r.pid === pid && r.function === 'warm')!;
  expect(hot).toMatchObject({ filename: FILE, lineno: 7 });
  expect(warm).toMatchObject({ filename: FILE, lineno: 11 });
  expect(warm.count).toBeGreaterThan(100);
  expect(Math.abs(hot.count - 2 * warm.count)).toBeLessThanOrEqual(2 + hot.count / 100);
}

test('--pid --json: one object per interval, most frequent first', async () => {
  const py = await target('busy.py', '5');
  const cli = pytrace('top', '--pid', String(py.pid), '--interval', '0.3', '--iterations', '3', '--json');
  await cli.waitFor(COUNTING, 'stderr');
  py.write('\n');
  expect((await cli.exited).code).toBe(0);
  const intervals = cli.lines.map((l) => JSON.parse(l));
  expect(intervals).toHaveLength(3);
  for (const i of intervals) {
    expect(i).toMatchObject({ type: 'top', interval: 0.3 });
    const counts = i.top.map((r: Row) => r.count);
    expect(counts).toEqual([...counts].sort((a: number, b: number) => b - a));
    for (const r of i.top) expect(r.pid).toBe(py.pid);
  }
  // The loop runs through the last two intervals at least.
  expectRatio(intervals[2].top, py.pid);
  expect(intervals[2].top[0].function).toBe('hot');
});

test('the HOWTO\'s layout: printf("%6s %80s %6s %30s %6s")', async () => {
  const py = await target('busy.py', '5');
  py.write('\n');
  const cli = pytrace('top', '--pid', String(py.pid), '--interval', '0.4', '--iterations', '1', '--limit', '2');
  expect((await cli.exited).code).toBe(0);
  const lines = cli.stdout.split('\n');
  expect(lines[0]).toBe(`${'PID'.padStart(6)} ${'FILENAME'.padStart(80)} ${'LINE'.padStart(6)} ${'FUNCTION'.padStart(30)} ${'CALLS'.padStart(6)}`);
  const row = (fn: string, line: number) => new RegExp(`^${String(py.pid).padStart(6)} ${FILE.padStart(80)} ${String(line).padStart(6)} ${fn.padStart(30)} +\\d{6,}$|^${String(py.pid).padStart(6)} ${FILE.padStart(80)} ${String(line).padStart(6)} ${fn.padStart(30)} [ \\d]{6}$`);
  expect(lines[1]).toMatch(row('hot', 7));
  expect(lines[2]).toMatch(row('warm', 11));
  // Not a terminal: blocks end with an empty line, and no screen clearing.
  expect(lines.slice(3)).toEqual(['', '']);
  expect(cli.stdout).not.toContain('\x1b[');
});

/** Sum of a process's counts over every interval printed so far, by function. */
function totals(cli: { lines: string[] }, pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of cli.lines.map((l) => JSON.parse(l)))
    for (const r of i.top as Row[]) if (r.pid === pid && r.filename === script('counted.py')) out[r.function] = (out[r.function] ?? 0) + r.count;
  return out;
}

test('without --pid: two processes, one started after top, counted exactly', async () => {
  const before = await target('counted.py', '30000');
  const cli = pytrace('top', '--interval', '0.3', '--limit', '100000', '--json');
  await cli.waitFor(COUNTING, 'stderr');
  const after = await target('counted.py', '20000');
  before.write('\n');
  after.write('\n');
  await before.waitFor(/^done$/m);
  await after.waitFor(/^done$/m);
  // Every call is counted in exactly one interval: wait until the sums are complete.
  const want = (n: number) => ({ hot: 2 * n, warm: n });
  for (let waited = 0; ; waited += 100) {
    const got = [totals(cli, before.pid), totals(cli, after.pid)];
    if ((got[0].warm === 30000 && got[1].warm === 20000) || waited > 15000) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(totals(cli, before.pid)).toEqual(want(30000));
  // The later one's module code ran under top too.
  expect(totals(cli, after.pid)).toEqual({ '<module>': 1, ...want(20000) });
  cli.kill('SIGINT');
  expect((await cli.exited).code).toBe(0);
});

test('without --pid: every Python process, those started later included', async () => {
  const cli = pytrace('top', '--interval', '0.3', '--limit', '100000', '--json');
  await cli.waitFor(COUNTING, 'stderr');
  const py = await target('busy.py', '3');
  py.write('\n');
  // Two intervals with its calls: the second a whole one while the loop ran.
  const mine = () => cli.lines.map((l) => JSON.parse(l)).filter((i) => i.top.some((r: Row) => r.pid === py.pid && r.function === 'warm'));
  for (let waited = 0; mine().length < 2; waited += 50) {
    if (waited > 15000) throw new Error(`no counts for PID ${py.pid}:\n${cli.stdout.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  cli.kill('SIGINT');
  expect((await cli.exited).code).toBe(0);
  expectRatio(mine()[1].top, py.pid);
});
