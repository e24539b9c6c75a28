/**
 * CLI tests run the built CLI (npm run build first) against real python3.11
 * processes. Targets print "ready" and wait on stdin; the CLI says on stderr
 * when it has attached: the test lets the target go only then.
 */
import { Child, killStarted, track } from '../helpers/child';
import * as path from 'path';

export const CLI = path.resolve(__dirname, '../../dist/cli/main.js');
/** Debian's build has the markers; a `python3` on PATH may not. */
export const PYTHON = '/usr/bin/python3.11';
export const SCRIPTS = path.resolve(__dirname, '../cli-scripts');
export const script = (name: string) => path.join(SCRIPTS, name);

export const ATTACHED = /^pytrace: tracing .*Ctrl-C to stop$/m;
export const FINISHED = /^pytrace: (\d+) events, (\d+) lost$/m;

/**
 * A child whose output is kept, and can be waited for: the tests' one process
 * helper, under the name these tests know it by.
 */
export class Proc extends Child {
  constructor(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
    super(command, args, options);
    track(this);
  }
}

/** The CLI, as a user runs it. */
export function pytrace(...args: string[]): Proc {
  return new Proc(process.execPath, [CLI, ...args]);
}

/** The CLI with these environment variables added (COLUMNS, ...). */
export function pytraceWith(env: NodeJS.ProcessEnv, ...args: string[]): Proc {
  return new Proc(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
}

/** A python3.11 target, once it printed "ready". */
export async function target(name: string, ...args: string[]): Promise<Proc> {
  const p = new Proc(PYTHON, [script(name), ...args]);
  await p.waitFor(/^ready$/m);
  return p;
}

/** Runs the CLI to completion. */
export async function pytraceDone(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = pytrace(...args);
  const { code } = await p.exited;
  return { code, stdout: p.stdout, stderr: p.stderr };
}

/** Ends every process a test started, and waits for them. */
export function killAll(): Promise<void> {
  return killStarted();
}
