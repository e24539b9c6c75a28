/** pytrace top: call counts per (pid, file, line, function), each interval, counted in the kernel. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CLI, killAll, Proc, PYTHON, pytrace, pytraceWith, script, target } from './helpers';

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
 * hot() runs twice per warm(), in the order hot hot warm: any stretch of that
 * sequence has hot within 2 of twice warm. A read ends each interval at one
 * instant (the generation bump), and a call in flight across it moves into the
 * next: one at each end, so within 4.
 */
function expectRatio(rows: Row[], pid: number): void {
  const hot = rows.find((r) => r.pid === pid && r.function === 'hot')!;
  const warm = rows.find((r) => r.pid === pid && r.function === 'warm')!;
  expect(hot).toMatchObject({ filename: FILE, lineno: 7 });
  expect(warm).toMatchObject({ filename: FILE, lineno: 11 });
  expect(warm.count).toBeGreaterThan(100);
  expect(Math.abs(hot.count - 2 * warm.count)).toBeLessThanOrEqual(4);
}

test('--pid --json: one object per interval, most frequent first', async () => {
  const py = await target('busy.py', '5');
  const cli = pytrace('top', '--pid', String(py.pid), '--interval', '0.3', '--iterations', '3', '--json');
  await cli.waitFor(COUNTING, 'stderr');
  py.send('\n');
  expect((await cli.exited).code).toBe(0);
  const intervals = cli.lines.map((l) => JSON.parse(l));
  expect(intervals).toHaveLength(3);
  // calls: the interval's, of every function counted (not only the rows shown); totalCalls: since the start.
  let sum = 0;
  for (const i of intervals) expect(i.totalCalls).toBe((sum += i.calls));
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

test('the HOWTO\'s layout on 132 columns: printf("%6s %80s %6s %30s %6s"), then the totals', async () => {
  const py = await target('busy.py', '5');
  py.send('\n');
  const cli = pytraceWith(
    { COLUMNS: '132' },
    'top',
    '--pid',
    String(py.pid),
    '--interval',
    '0.4',
    '--iterations',
    '1',
    '--limit',
    '2',
  );
  expect((await cli.exited).code).toBe(0);
  const lines = cli.stdout.split('\n');
  expect(lines[0]).toBe(
    `${'PID'.padStart(6)} ${'FILENAME'.padStart(80)} ${'LINE'.padStart(6)} ${'FUNCTION'.padStart(30)} ${'CALLS'.padStart(6)}`,
  );
  const row = (fn: string, line: number) =>
    new RegExp(
      `^${String(py.pid).padStart(6)} ${FILE.padStart(80)} ${String(line).padStart(6)} ${fn.padStart(30)} +(\\d+)$`,
    );
  const hot = Number(lines[1].match(row('hot', 7))![1]);
  const warm = Number(lines[2].match(row('warm', 11))![1]);
  // The interval's calls of every function (only these two, and time.monotonic is not Python).
  const [, calls, functions, perSecond, since] = lines[3]
    .match(/^total: (\d+) calls in (\d+) functions this interval \((\d+)\/s\), (\d+) since the start$/)!
    .map(Number);
  expect(calls).toBe(hot + warm);
  expect(functions).toBe(2);
  expect(perSecond).toBe(Math.round(calls / 0.4));
  expect(since).toBe(calls);
  // Not a terminal: blocks end with an empty line, and no screen clearing.
  expect(lines.slice(4)).toEqual(['', '']);
  expect(cli.stdout).not.toContain('\x1b[');
});

/** busy.py at a path longer than an 80-column row has room for: TMPDIR/pytrace-top-XXXX/aaaa.../busy.py. */
function deepBusy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pytrace-top-'));
  dirs.push(dir);
  // Within the 95 bytes the kernel's call counts keep of a file name today.
  const deep = path.join(dir, 'a'.repeat(30), 'b'.repeat(20));
  fs.mkdirSync(deep, { recursive: true });
  fs.copyFileSync(FILE, path.join(deep, 'busy.py'));
  return path.join(deep, 'busy.py');
}
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

test('not a terminal, no $COLUMNS: 80 columns, a long path elided in the middle with its file name kept', async () => {
  const file = deepBusy();
  const py = new Proc(PYTHON, [file, '5']);
  await py.waitFor(/^ready$/m);
  py.send('\n');
  const env = { ...process.env };
  delete env.COLUMNS;
  const cli = new Proc(
    process.execPath,
    [CLI, 'top', '--pid', String(py.pid), '--interval', '0.4', '--iterations', '1', '--limit', '2'],
    { env },
  );
  expect((await cli.exited).code).toBe(0);
  const lines = cli.stdout.split('\n').filter((l) => l);
  expect(lines).toHaveLength(4);
  for (const l of lines.slice(0, 3)) expect(l.length).toBe(80);
  const start = file.slice(0, 4).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  expect(lines[1]).toMatch(new RegExp(`^${String(py.pid).padStart(6)} ${start}[^ ]*…b+/busy\\.py +7 +hot +\\d+$`));
  py.kill();
});

test('on a terminal: as wide as the terminal, refreshed in place', async () => {
  const py = await target('busy.py', '5');
  py.send('\n');
  // A pseudo-terminal 100 columns wide, as a user's would be.
  const inPty = `import fcntl, os, pty, struct, sys, termios
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    os.execv(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
sys.stdout.buffer.write(out)
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))`;
  const env = { ...process.env };
  delete env.COLUMNS;
  const cli = new Proc(
    PYTHON,
    [
      '-c',
      inPty,
      process.execPath,
      CLI,
      'top',
      '--pid',
      String(py.pid),
      '--interval',
      '0.3',
      '--iterations',
      '2',
      '--limit',
      '2',
    ],
    { env },
  );
  expect((await cli.exited).code).toBe(0);
  const screens = cli.stdout.split('\x1b[2J\x1b[1;1H').slice(1);
  expect(screens).toHaveLength(2);
  for (const screen of screens) {
    const lines = screen.split('\r\n').filter((l) => l && !l.startsWith('pytrace:'));
    expect(lines[0]).toBe(
      `${'PID'.padStart(6)} ${'FILENAME'.padStart(48)} ${'LINE'.padStart(6)} ${'FUNCTION'.padStart(30)} ${'CALLS'.padStart(6)}`,
    );
    expect(lines[0].length).toBe(100);
    expect(lines[3]).toMatch(/^total: \d+ calls/);
  }
});

/** Sum of a process's counts over every interval printed so far, by function. */
function totals(cli: { lines: string[] }, pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of cli.lines.map((l) => JSON.parse(l)))
    for (const r of i.top as Row[])
      if (r.pid === pid && r.filename === script('counted.py')) out[r.function] = (out[r.function] ?? 0) + r.count;
  return out;
}

test('without --pid: two processes, one started after top, counted exactly', async () => {
  const before = await target('counted.py', '30000');
  const cli = pytrace('top', '--interval', '0.3', '--limit', '100000', '--json');
  await cli.waitFor(COUNTING, 'stderr');
  const after = await target('counted.py', '20000');
  before.send('\n');
  after.send('\n');
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
  py.send('\n');
  // Two intervals with its calls: the second a whole one while the loop ran.
  const mine = () =>
    cli.lines
      .map((l) => JSON.parse(l))
      .filter((i) => i.top.some((r: Row) => r.pid === py.pid && r.function === 'warm'));
  for (let waited = 0; mine().length < 2; waited += 50) {
    if (waited > 15000) throw new Error(`no counts for PID ${py.pid}:\n${cli.stdout.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  cli.kill('SIGINT');
  expect((await cli.exited).code).toBe(0);
  expectRatio(mine()[1].top, py.pid);
});
