/**
 * profile({ command }): a command started for the profile and sampled from
 * its first Python instruction. It starts stopped (sh stops itself before it
 * execs); once released, the exec is watched for, and the process is stopped
 * again while the sampler loads, so Python runs nothing unsampled.
 */
import { ChildProcess, spawn, StdioOptions } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import { readStat } from '../discovery/proc';
import { PytraceError } from '../errors';
import { findRuntime } from '../sampling/runtime';
import { shownValue } from './options';

export interface CommandTarget {
  /** The program and its arguments, as for child_process.spawn (found on PATH). */
  command: string[];
  /** Default 'inherit': the command shares this process's terminal. */
  stdio?: StdioOptions;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** The command a profile started: its process, and its exit status once it ends (128 + N for signal N). */
export interface ProfiledCommand {
  child: ChildProcess;
  exited: Promise<number>;
}

export function isCommandTarget(target: unknown): target is CommandTarget {
  return typeof target === 'object' && target !== null && 'command' in target;
}

/** Starts the command, and `start`s the profile of its PID once it runs its interpreter. */
export async function profileCommand<P>(
  target: CommandTarget,
  start: (pid: number, command: ProfiledCommand) => Promise<P>,
): Promise<P> {
  const { command } = target;
  if (!Array.isArray(command) || command.length === 0 || !command.every((a) => typeof a === 'string'))
    throw new PytraceError(
      'PYTRACE_BAD_OPTION',
      `command takes a program and its arguments (a non-empty array of strings), not ${shownValue(command)}.`,
    );
  const child = spawn('/bin/sh', ['-c', 'kill -STOP $$; exec "$@"', 'sh', ...command], {
    stdio: target.stdio ?? 'inherit',
    cwd: target.cwd,
    env: target.env,
  });
  const exited = new Promise<number>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? os.constants.signals[signal] : 0))),
  );
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  try {
    await spawned;
  } catch (e) {
    throw new PytraceError('PYTRACE_NO_PROCESS', `Could not start /bin/sh for ${command[0]}: ${(e as Error).message}.`);
  }
  const pid = child.pid!;
  const shell = exeOf(pid);
  await waitFor(() => state(pid) === 'T' || state(pid) === undefined, 5000);
  signal(pid, 'SIGCONT');
  let lastError: unknown;
  for (let i = 0; i < 5000 && state(pid) !== undefined; i++) {
    const exe = exeOf(pid);
    if (exe !== undefined && exe !== shell) {
      signal(pid, 'SIGSTOP');
      await waitFor(() => !['R', 'S', 'D'].includes(state(pid) ?? 'gone'), 1000);
      try {
        // A shared build: the loader may not have mapped libpython yet (not Python, so far).
        findRuntime(pid);
        const started = await start(pid, { child, exited });
        signal(pid, 'SIGCONT');
        return started;
      } catch (e) {
        // Gone meanwhile: said below, with its exit status.
        lastError = state(pid) === undefined ? undefined : e;
        signal(pid, 'SIGCONT');
        if (!(e instanceof PytraceError) || e.code !== 'PYTRACE_NOT_PYTHON') break;
      }
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  if (state(pid) !== undefined) child.kill('SIGKILL');
  if (lastError) throw lastError;
  throw new PytraceError(
    'PYTRACE_NO_PROCESS',
    `${command[0]} exited (status ${await exited}) before it could be sampled.`,
  );
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Gone already: the loop sees it.
  }
}

function exeOf(pid: number): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}

/** The process's state letter (/proc/PID/stat), undefined when it is gone or a zombie. */
function state(pid: number): string | undefined {
  const s = readStat(pid)?.state;
  return s === 'Z' || s === 'X' ? undefined : s;
}

async function waitFor(check: () => boolean, ms: number): Promise<void> {
  for (const end = Date.now() + ms; !check() && Date.now() < end;) await new Promise((r) => setTimeout(r, 1));
}
