/**
 * pytrace run: the command is traced from its first instruction (start-up and
 * module-level code), and its exit status is passed through.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ATTACHED, CLI, FINISHED, killAll, Proc, pytrace, PYTHON, script, SCRIPTS } from './helpers';

afterEach(killAll);

const dtraceRest = (line: string) => {
  const m = /^(\d+)\t(.*)$/.exec(line);
  if (!m) throw new Error(`not "TIMESTAMP<tab>...": ${JSON.stringify(line)}`);
  return { ts: BigInt(m[1]), rest: m[2] };
};

test('module-level code and start-up are traced; exit status 3 passes through', async () => {
  const cli = pytrace(
    'run',
    '--format',
    'dtrace',
    '--events',
    'function-entry,function-return',
    '--',
    PYTHON,
    script('exit3.py'),
  );
  expect((await cli.exited).code).toBe(3);
  expect(cli.stderr).toMatch(ATTACHED);
  const lines = cli.lines.map(dtraceRest);
  // The interpreter's very first Python frame: nothing before it was missed.
  expect(lines[0].rest).toMatch(/^ function-entry:<frozen importlib\._bootstrap>:<module>:\d+$/);
  for (let i = 1; i < lines.length; i++) expect(lines[i].ts).toBeGreaterThanOrEqual(lines[i - 1].ts);
  const at = lines.findIndex((l) => /^ function-entry:exit3\.py:<module>:\d+$/.test(l.rest));
  expect(at).toBeGreaterThan(0);
  expect(lines.slice(at + 1, at + 4).map((l) => l.rest)).toEqual([
    ' function-entry: exit3.py:work:6',
    'function-return: exit3.py:work:7',
    'function-return:exit3.py:<module>:11',
  ]);
  expect(cli.stderr.match(FINISHED)![1]).toBe(String(lines.length));
});

test('a script run through its "#!" line, in the stap layout', async () => {
  const cli = new Proc(process.execPath, [CLI, 'run', '--format', 'stap', './exit3.py'], { cwd: SCRIPTS });
  expect((await cli.exited).code).toBe(3);
  // execname() is what exec names the process: the script's name.
  const mine = cli.lines.filter((l) => l.includes('exit3.py:'));
  expect(mine.map((l) => l.replace(/^ *\d+ exit3\.py\(\d+\):/, ''))).toEqual([
    ` => <module> in ${SCRIPTS}/./exit3.py:0`,
    `  => work in ${SCRIPTS}/./exit3.py:6`,
    `  <= work in ${SCRIPTS}/./exit3.py:7`,
    ` <= <module> in ${SCRIPTS}/./exit3.py:11`,
  ]);
});

test('the demo: calls with gc and imports in time order, then a summary', async () => {
  const demo = path.resolve(__dirname, '../../examples/demo.py');
  // Buffered, the demo writes its output at exit in one write, which no line of ours can split.
  const env = { ...process.env, PYTHONUNBUFFERED: '' };
  const cli = new Proc(process.execPath, [CLI, 'run', '--format', 'dtrace', '--', PYTHON, demo], { env });
  expect((await cli.exited).code).toBe(0);
  const summary = cli.lines.findIndex((l) => l.startsWith('gc: '));
  expect(summary).toBeGreaterThan(0);
  const events = cli.lines
    .slice(0, summary)
    .filter((l) => /^\d+\t/.test(l))
    .map(dtraceRest);
  for (let i = 1; i < events.length; i++) expect(events[i].ts).toBeGreaterThanOrEqual(events[i - 1].ts);
  const rest = events.map((e) => e.rest);
  const from = rest.indexOf(' function-entry:demo.py:<module>:0');
  const to = rest.findIndex((l) => /^function-return:demo\.py:<module>:\d+$/.test(l));
  expect(from).toBeGreaterThan(0);
  const body = rest.slice(from, to + 1);
  // gc.collect() in make_garbage and the import in load_colors, where a call
  // from them would be: inside <module>, main and themselves.
  expect(body).toContainEqual('       gc-start:   generation 2');
  expect(body.some((l) => /^ {8}gc-done: {3}generation 2, collected \d+, [\d.]+ (ns|us|ms)$/.test(l))).toBe(true);
  expect(body).toContainEqual('import-find-load-start:   colorsys');
  expect(body.some((l) => /^import-find-load-done: {3}colorsys found, [\d.]+ (ns|us|ms)$/.test(l))).toBe(true);
  // The generator: one entry and one return per value, and one at its end.
  expect(body.filter((l) => l === ' function-entry:  demo.py:squares:13')).toHaveLength(1);
  expect(body.filter((l) => /^function-return: {2}demo\.py:squares:1[45]$/.test(l))).toHaveLength(4);
  // The command's output shares stdout: our writes never split its lines, nor its ours.
  for (const l of ['collected 3 objects', 'fib(4) = 3 sum of squares = 5']) expect(cli.lines).toContain(l);
  const end = cli.lines.slice(summary).join('\n');
  expect(end).toMatch(/^gc: \d+ collections?, \d+ objects collected$/m);
  expect(end).toMatch(
    /^ {2}generation 2: \d+ collections?, total [\d.]+ (ns|us|ms), avg [\d.]+ (ns|us|ms), max [\d.]+ (ns|us|ms)$/m,
  );
  expect(end).toMatch(/^imports: \d+ \(\d+ found, \d+ not found\)$/m);
});

test("--output FILE: the trace apart from the command's output", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pytrace-run-'));
  try {
    const file = path.join(dir, 'trace.txt');
    const cli = pytrace(
      'run',
      '-o',
      file,
      '--format',
      'stap',
      '--',
      PYTHON,
      path.resolve(__dirname, '../../examples/demo.py'),
    );
    expect((await cli.exited).code).toBe(0);
    expect(cli.stdout).toBe(
      'fib(4) = 3 sum of squares = 5\ncollected 3 objects\nhsv (0.5833333333333334, 0.6666666666666666, 0.6)\n',
    );
    const trace = fs.readFileSync(file, 'utf8');
    expect(trace).toMatch(/^ +\d+ python3\.11\(\d+\): {2}=> demo in \S+demo\.py:35$/m);
    const events = trace.split('\n').filter((l) => /^ *\d+ python3\.11\(\d+\):/.test(l));
    expect(events.length).toBe(Number(cli.stderr.match(FINISHED)![1]));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a program embedding CPython: traced through the libpython it links', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pytrace-embed-'));
  try {
    const embed = execFileSync(path.resolve(__dirname, '../fixtures/embed/build.sh'), [dir], {
      encoding: 'utf8',
    }).trim();
    const cli = pytrace('run', '--format', 'stap', '--', embed, script('exit3.py'));
    expect((await cli.exited).code).toBe(3);
    expect(cli.stderr).toMatch(/^pytrace: tracing .* markers in \S*libpython3\.11\.so[.\d]*\), Ctrl-C to stop$/m);
    const mine = cli.lines.filter((l) => l.includes('exit3.py:'));
    expect(mine.map((l) => l.replace(/^ *\d+ embed-python\(\d+\):/, ''))).toEqual([
      ` => <module> in ${script('exit3.py')}:0`,
      `  => work in ${script('exit3.py')}:6`,
      `  <= work in ${script('exit3.py')}:7`,
      ` <= <module> in ${script('exit3.py')}:11`,
    ]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGINT or SIGTERM sent to pytrace reaches the command, whose status passes through', async () => {
  for (const [signal, status] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    const cli = pytrace('run', '--mode', 'gc', '--', PYTHON, '-c', 'import time; time.sleep(60)');
    await cli.waitFor(ATTACHED, 'stderr');
    await new Promise((r) => setTimeout(r, 300));
    cli.kill(signal);
    expect((await cli.exited).code).toBe(status);
    expect(cli.stderr).toMatch(FINISHED);
  }
});

test('what cannot be traced or run', async () => {
  const notPython = pytrace('run', '--', '/bin/true');
  expect((await notPython.exited).code).toBe(1);
  expect(notPython.stderr).toMatch(/^pytrace: .*is not a Python.*\[PYTRACE_NOT_PYTHON\]$/m);

  const missing = pytrace('run', '--', 'no-such-command-for-pytrace');
  expect((await missing.exited).code).toBe(127);
  expect(missing.stderr).toBe('pytrace: no-such-command-for-pytrace: command not found\n');

  const usage = pytrace('run', '--mode', 'everything', '--', PYTHON);
  expect((await usage.exited).code).toBe(2);
  expect(usage.stderr).toMatch(/--mode is one of calls, lines, gc, imports, audit, all/);
});
