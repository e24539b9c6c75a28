/** Exit statuses and messages: 0 ran, 1 pytrace error "[CODE]", 2 bad usage. */
import { pytraceDone } from './helpers';

const COMMANDS = ['list', 'describe', 'calls', 'lines', 'gc', 'imports', 'audit', 'top', 'run'];

test('every command has --help, on stdout, exit status 0', async () => {
  for (const c of COMMANDS) {
    const { code, stdout, stderr } = await pytraceDone(c, '--help');
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^Usage: pytrace ${c}`));
    expect(stderr).toBe('');
  }
  const top = await pytraceDone('--help');
  expect(top.code).toBe(0);
  for (const c of COMMANDS) expect(top.stdout).toMatch(new RegExp(`^ {2}${c} +\\S`, 'm'));
});

test('bad usage: exit status 2, and where to look', async () => {
  const cases: [string[], RegExp][] = [
    [[], /^Usage: pytrace COMMAND/],
    [['frobnicate'], /^pytrace: unknown command "frobnicate"\nTry 'pytrace --help'\.\n$/],
    [['calls'], /^pytrace: missing PID\nTry 'pytrace calls --help'\.\n$/],
    [['calls', 'abc'], /^pytrace: "abc" is not a PID: pass a positive integer\n/],
    [['calls', '1', '--format', 'xml'], /^pytrace: --format is one of dtrace, stap, json, not "xml"\n/],
    [['calls', '1', '--format', 'stap', '--json'], /^pytrace: --json and --format stap contradict each other\n/],
    [['gc', '1', '--bogus'], /^pytrace: Unknown option '--bogus'/],
    [['top', '--interval', '0'], /^pytrace: --interval wants a positive number, not "0"\n/],
    [['run'], /^pytrace: missing COMMAND/],
  ];
  for (const [args, message] of cases) {
    const { code, stderr } = await pytraceDone(...args);
    expect([args, code]).toEqual([args, 2]);
    expect(stderr).toMatch(message);
  }
});

test('a pytrace error: exit status 1, "pytrace: message [CODE]"', async () => {
  const { code, stdout, stderr } = await pytraceDone('calls', '999999999');
  expect(code).toBe(1);
  expect(stdout).toBe('');
  expect(stderr).toMatch(/^pytrace: No process has PID 999999999.*\[PYTRACE_NO_PROCESS\]\n$/);
});
