/**
 * pytrace record (sampled): collapsed stacks of a PID or of a command started
 * for it, sampled from its first statement; its exit status passes through.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { killAll, Proc, pytrace, PYTHON, script } from './helpers';

afterEach(killAll);

/** "stack count" lines -> [frames, count]. */
function parseCollapsed(text: string): [string[], number][] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const at = line.lastIndexOf(' ');
      return [line.slice(0, at).split(';'), Number(line.slice(at + 1))];
    });
}

test('-- COMMAND: sampled from its first statement, collapsed stacks on stdout, exit status 3 passes through', async () => {
  const cli = pytrace('record', '--hz', '499', '--', PYTHON, script('spin_first.py'));
  expect((await cli.exited).code).toBe(3);
  const stacks = parseCollapsed(cli.stdout);
  const file = script('spin_first.py');
  const count = (fn: string) =>
    stacks.filter(([frames]) => frames.some((f) => f.startsWith(`${fn} (${file}:`))).reduce((n, [, c]) => n + c, 0);
  // 0.3 s of CPU each at 499 Hz: about 150; first() runs at once, so sampling began before it.
  expect(count('first')).toBeGreaterThan(100);
  expect(count('second')).toBeGreaterThan(100);
  // Equal CPU time: equal counts, within sampling noise.
  expect(Math.abs(count('first') - count('second'))).toBeLessThan(0.2 * count('second'));
  // The script's stacks start at its module; the others are the interpreter's start-up, sampled too.
  // None torn: a sample taken while the interpreter enters a new C-level eval (on 3.11 its
  // cframe is linked before its current frame is set) reads a stale chain, but the walker
  // checks every frame the thread owns against its data stack (the innermost ends at its top,
  // each ends where its callee begins) and counts a chain that is not there as stale. This
  // script's frames are all the thread's own (no generator), so a stale one cannot pass.
  for (const [frames] of stacks.filter(([f]) => f.some((x) => x.includes(file))))
    expect(frames[0]).toMatch(/^<module> \(.*:(20|21|22)\)$/);
  expect(stacks.some(([frames]) => frames[0].includes('<frozen '))).toBe(true);
  expect(cli.stderr).toMatch(/^pytrace: \d+ samples/m);
});

test('--subprocesses: the pool workers forked later are sampled too; without it they are not', async () => {
  const file = script('pool_work.py');
  const inWork = (stdout: string) =>
    parseCollapsed(stdout)
      .filter(([frames]) => frames[frames.length - 1].startsWith(`work (${file}:`))
      .reduce((n, [, c]) => n + c, 0);
  const withChildren = pytrace('record', '--subprocesses', '--hz', '499', '--', PYTHON, file);
  expect((await withChildren.exited).code).toBe(0);
  // 2 workers x 0.6 s of CPU at 499 Hz: about 600 samples in work(); a quarter, for margin
  // (a worker joins once its fork is read: on a loaded machine, part of its work runs before).
  expect(inWork(withChildren.stdout)).toBeGreaterThan(150);
  const alone = pytrace('record', '--hz', '499', '--', PYTHON, file);
  expect((await alone.exited).code).toBe(0);
  expect(inWork(alone.stdout)).toBe(0);
});

test('--idle: a sleeping command is sampled where it sleeps; without it, not there', async () => {
  const sleeping = (stdout: string) =>
    parseCollapsed(stdout)
      .filter(([frames]) => frames.length === 1 && frames[0] === '<module> (<string>:2)')
      .reduce((n, [, c]) => n + c, 0);
  const code = 'import time\ntime.sleep(0.5)';
  const idle = pytrace('record', '--idle', '--hz', '99', '--', PYTHON, '-c', code);
  expect((await idle.exited).code).toBe(0);
  // At least 0.5 s of wall time at 99 Hz: about 50 ticks; 5 leaves room for a slow event loop.
  expect(sleeping(idle.stdout)).toBeGreaterThan(5);
  const busy = pytrace('record', '--hz', '99', '--', PYTHON, '-c', code);
  expect((await busy.exited).code).toBe(0);
  expect(sleeping(busy.stdout)).toBe(0);
});

test('PID -o FILE --duration: the file holds the stacks, the summary says how many', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pytrace-record-'));
  try {
    const py = new Proc(PYTHON, ['-c', 'print("ready", flush=True)\nimport time\nwhile True: time.thread_time()']);
    await py.waitFor(/^ready$/m);
    const pid = py.pid;
    const out = path.join(dir, 'out.collapsed');
    const cli = pytrace('record', '--hz', '499', '--duration', '0.5', '-o', out, String(pid));
    expect((await cli.exited).code).toBe(0);
    const n = Number(/^pytrace: (\d+) samples written to /m.exec(cli.stderr)![1]);
    const stacks = parseCollapsed(fs.readFileSync(out, 'utf8'));
    expect(stacks.reduce((s, [, c]) => s + c, 0)).toBe(n);
    expect(n).toBeGreaterThan(50);
    expect(stacks.every(([frames]) => frames.length === 1 && frames[0] === '<module> (<string>:3)')).toBe(true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('bad usage: exit status 2', async () => {
  for (const args of [['--hz', '0', '1'], ['abc'], ['1', '--', 'python3']]) {
    const cli = pytrace('record', ...args);
    expect((await cli.exited).code).toBe(2);
  }
});
