/** Exit statuses and messages: 0 ran, 1 pytrace error "[CODE]", 2 bad usage. */
import * as fs from 'fs';
import * as path from 'path';
import { CLI, killAll, Proc, PYTHON, pytraceDone, target } from './helpers';

afterEach(killAll);

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

test("--version: the package's version", async () => {
  const { version } = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8'));
  for (const flag of ['--version', '-V']) {
    const { code, stdout, stderr } = await pytraceDone(flag);
    expect([code, stdout, stderr]).toEqual([0, `pytrace ${version}\n`, '']);
  }
});

test('the built CLI is executable, with its "#!" line, and runs by its path', async () => {
  expect(fs.statSync(CLI).mode & 0o111).toBe(0o111);
  expect(fs.readFileSync(CLI, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  const direct = new Proc(CLI, ['--version']);
  expect((await direct.exited).code).toBe(0);
  expect(direct.stdout).toMatch(/^pytrace \d+\.\d+\.\d+\n$/);
});

test('top --help quotes the HOWTO\'s printf on one line, "\\n" and all', async () => {
  const { stdout } = await pytraceDone('top', '--help');
  expect(stdout).toContain('printf("%6s %80s %6s %30s %6s\\n", PID,\n');
});

test('--within "": an error, not a filter that lets everything through', async () => {
  const py = await target('call_stack.py');
  for (const command of ['calls', 'lines']) {
    const { code, stdout, stderr } = await pytraceDone(command, String(py.pid), '--within', '');
    expect([command, code, stdout]).toEqual([command, 1, '']);
    expect(stderr).toMatch(
      /^pytrace: Option "within" takes the name of a Python function .*"" names none .*\[PYTRACE_BAD_OPTION\]\n$/,
    );
  }
  const run = await pytraceDone('run', '--within', '', '--', PYTHON, '-c', 'print("ran")');
  expect(run.code).toBe(1);
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(/\[PYTRACE_BAD_OPTION\]\n$/);
  py.endInput();
});
