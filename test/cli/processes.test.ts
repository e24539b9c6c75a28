/**
 * Processes under the CLI: after an exec into another Python the call
 * hierarchy starts again at depth 0 (it went on one level too deep per frame
 * left open by the exec); `run` traces the processes its command forks, unless
 * --no-subprocesses.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ATTACHED, killAll, Proc, PYTHON, pytrace } from './helpers';

afterEach(killAll);

const SCRIPTS = path.resolve(__dirname, '../scripts');

test('calls --json: after an exec into python3.11 the depths start again at 0', async () => {
  const after = path.join(SCRIPTS, 'after_exec.py');
  const py = new Proc(PYTHON, [path.join(SCRIPTS, 'exec.py'), PYTHON, after, '2']);
  await py.waitFor(/^ready$/m);
  const cli = pytrace('calls', String(py.pid), '--json');
  await cli.waitFor(ATTACHED, 'stderr');
  py.send('\n');
  expect((await cli.exited).code).toBe(0);
  const events = cli.lines.map((l) => JSON.parse(l));
  const mine = events.filter(
    (e) => /^(outer|before|after)$/.test(e.function) || (e.function === '<module>' && e.filename === after),
  );
  expect(mine.map((e) => [e.type, e.function, e.depth])).toEqual([
    ['function-entry', 'outer', 0],
    ['function-entry', 'before', 1],
    ['function-return', 'before', 1],
    ['function-entry', 'before', 1],
    ['function-return', 'before', 1],
    ['function-entry', 'before', 1],
    ['function-return', 'before', 1],
    // outer() never returns: the exec replaced the program.
    ['function-entry', '<module>', 0],
    ['function-entry', 'after', 1],
    ['function-return', 'after', 1],
    ['function-entry', 'after', 1],
    ['function-return', 'after', 1],
    ['function-return', '<module>', 0],
  ]);
});

test('calls: a process that execs a program that is not a Python leaves the trace, said on stderr with its path escaped', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pytrace-procs-'));
  try {
    const program = path.join(dir, 'tr\x1b[2Jue');
    fs.symlinkSync('/bin/true', program);
    const py = new Proc(PYTHON, [path.join(SCRIPTS, 'exec.py'), program]);
    await py.waitFor(/^ready$/m);
    const cli = pytrace('calls', String(py.pid));
    await cli.waitFor(ATTACHED, 'stderr');
    py.send('\n');
    expect((await cli.exited).code).toBe(0);
    expect(cli.stderr).toContain(`pytrace: PID ${py.pid} exec'd ${path.join(dir, 'tr\\x1b[2Jue')}, no longer traced: `);
    expect(cli.stderr).not.toContain('\x1b');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

async function runForking(...options: string[]) {
  // The trace to a file: on stdout the command's output would land between its lines.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pytrace-procs-'));
  try {
    const file = path.join(dir, 'trace.ndjson');
    const cli = pytrace(
      'run',
      '--format',
      'json',
      '-o',
      file,
      ...options,
      '--',
      PYTHON,
      path.join(SCRIPTS, 'fork_at_once.py'),
      '4',
    );
    await cli.waitFor(ATTACHED, 'stderr');
    await cli.waitFor(/^ready$/m);
    cli.send('\n');
    expect((await cli.exited).code).toBe(0);
    const child = Number(cli.stdout.match(/^result (\d+)$/m)![1]);
    const events = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    return { child, work: events.filter((e) => e.type === 'function-entry' && e.function === 'work') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('run traces the processes its command forks, from their first instruction', async () => {
  const { child, work } = await runForking();
  // The child's 4 calls, then the parent's one, after it waited for the child.
  expect(work.length).toBe(5);
  expect(work.slice(0, 4).map((e) => e.pid)).toEqual([child, child, child, child]);
  expect(work[4].pid).not.toBe(child);
});

test('run --no-subprocesses: only the command itself', async () => {
  const { child, work } = await runForking('--no-subprocesses');
  expect(work.length).toBe(1);
  expect(work[0].pid).not.toBe(child);
});
