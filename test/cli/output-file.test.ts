/**
 * -o FILE: a regular file is written behind the thread that makes the text,
 * many chunks in flight; what lands is every line, whole and in order. A file
 * that cannot be written (a full disk) is an error that names it, for a
 * regular file and for a device alike.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CLI, FINISHED, killAll, Proc, pytrace, PYTHON } from './helpers';

afterEach(killAll);

const CALLS = 200_000;
const LOOP = `def f(i):\n    return i\nfor i in range(${CALLS}):\n    f(i)\n`;

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pytrace-out-'));
});
afterEach(() => {
  try {
    execFileSync('umount', [dir], { stdio: 'ignore' });
  } catch {
    // not mounted
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test('run --format json -o: every event a whole line, in order, the exact calls', async () => {
  const file = path.join(dir, 'trace.ndjson');
  const cli = pytrace('run', '--format', 'json', '-o', file, '--', PYTHON, '-c', LOOP);
  expect((await cli.exited).code).toBe(0);
  const [, events, lost] = cli.stderr.match(FINISHED)!;
  expect(lost).toBe('0');
  const text = fs.readFileSync(file, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  const lines = text.slice(0, -1).split('\n');
  // Many chunks went out at once: the file is some 40 MB.
  expect(text.length).toBeGreaterThan(CALLS * 2 * 100);
  const parsed = lines.map((l) => JSON.parse(l) as { type: string; ts?: number; function?: string; depth?: number });
  const trace = parsed.filter((e) => e.ts !== undefined);
  expect(trace.length).toBe(Number(events));
  // One expect for the order (one per line would take most of the test's time).
  const backwards = trace.findIndex((e, i) => i > 0 && e.ts! < trace[i - 1].ts!);
  expect(backwards).toBe(-1);
  const ofF = (type: string) => trace.filter((e) => e.type === type && e.function === 'f');
  expect(ofF('function-entry').length).toBe(CALLS);
  expect(ofF('function-return').length).toBe(CALLS);
  // Each call of f opens at depth 1 under <module> and closes there.
  expect(new Set(ofF('function-entry').map((e) => e.depth))).toEqual(new Set([1]));
});

test('a file on a full disk: the trace stops, and the error names the file', async () => {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
  const file = path.join(dir, 'trace.ndjson');
  const cli = pytrace('run', '--format', 'json', '-o', file, '--', PYTHON, '-c', LOOP);
  expect((await cli.exited).code).toBe(1);
  expect(cli.stderr).toContain(`pytrace: cannot write ${file}: ENOSPC: no space left on device`);
  expect(cli.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
  // What fit is there, in order and without a hole, cut only where the disk filled.
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  expect(lines.length).toBeGreaterThan(1000);
  const unreadable = lines.slice(0, -1).filter((l) => {
    try {
      JSON.parse(l);
      return false;
    } catch {
      return true;
    }
  });
  expect(unreadable).toEqual([]);
});

test('a device that cannot take it (/dev/full): the same error, for stdout too', async () => {
  const cli = pytrace('run', '--format', 'json', '-o', '/dev/full', '--', PYTHON, '-c', LOOP);
  expect((await cli.exited).code).toBe(1);
  expect(cli.stderr).toContain('pytrace: cannot write /dev/full: ENOSPC: no space left on device');
  expect(cli.stderr).not.toMatch(/internal error/);

  const shell = new Proc('/bin/sh', [
    '-c',
    'exec "$0" "$@" > /dev/full',
    process.execPath,
    CLI,
    'run',
    '--format',
    'json',
    '--',
    PYTHON,
    '-c',
    LOOP,
  ]);
  expect((await shell.exited).code).toBe(1);
  expect(shell.stderr).toContain('pytrace: cannot write standard output: ENOSPC: no space left on device');
});

test('record on a full disk: the timeline (--exact) and a profile say so, with the file, and exit 1', async () => {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
  const timeline = path.join(dir, 'trace.json');
  const exact = pytrace('record', '--exact', '-o', timeline, '--', PYTHON, '-c', LOOP);
  expect((await exact.exited).code).toBe(1);
  expect(exact.stderr).toContain(`pytrace: cannot write ${timeline}: ENOSPC: no space left on device`);
  expect(exact.stderr).not.toMatch(/internal error|at .*\.js:\d+|^Error/m);

  // The disk stays full (the timeline filled it): a profile's first bytes do not fit.
  expect(fs.statSync(timeline).size).toBe(64 << 10);
  const folded = path.join(dir, 'x.folded');
  const sampled = pytrace('record', '--duration', '1', '-o', folded, '--', PYTHON, '-c', LOOP.repeat(20));
  expect((await sampled.exited).code).toBe(1);
  expect(sampled.stderr).toMatch(
    new RegExp(`pytrace: Cannot write the profile to ${folded}: ENOSPC: .*\\[PYTRACE_WRITE_FAILED\\]`),
  );
});
