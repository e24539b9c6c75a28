/**
 * pytrace record's sampled mode: stack samples of a process (PID), or of a
 * command it starts, written in the chosen profile format (collapsed stacks
 * by default) when the profile ends (Ctrl-C, --duration, or the target's exit).
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import { PytraceError } from '../../errors';
import { Profile, profile } from '../../api/profile';
import { findRuntime } from '../../sampling/runtime';
import { ProfileFormat } from '../../profile/formats';
import { UsageError } from '../args';
import { note } from '../output';
import { writeRecordedProfile } from '../record-output';

const REASONS = {
  noThreadState: 'not a Python thread',
  readFault: 'memory unreadable',
  notCode: 'not a code object',
  noFrames: 'no Python frame',
  staleFrame: 'frames changing',
} as const;

export interface SampledOptions {
  hz: number;
  duration?: number;
  output?: string;
  format: ProfileFormat;
  subprocesses?: boolean;
  idle?: boolean;
}

/** Profiles `pid` until it exits, the duration passes or SIGINT/SIGTERM; writes the stacks. */
async function recordProfile(p: Profile, label: string, options: SampledOptions): Promise<void> {
  const stop = () => void p.close();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  note(`sampling ${label} at ${options.hz} Hz${options.duration ? ` for ${options.duration} s` : ''}; Ctrl-C to stop`);
  try {
    if (!p.closed) await new Promise<void>((resolve) => p.once('close', resolve));
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  await writeRecordedProfile(p.stacks(), options.format, options.output);
  const s = p.stats();
  const failed = Object.values(s.unwindFailures).reduce((a, b) => a + b, 0);
  const reasons = Object.entries(s.unwindFailures)
    .filter(([, n]) => n)
    .map(([why, n]) => `${REASONS[why as keyof typeof REASONS]}: ${n}`)
    .join(', ');
  note(
    `${s.delivered} samples${options.output ? ` written to ${options.output}` : ''}` +
      `${s.lost ? `, ${s.lost} lost` : ''}${failed ? `, ${failed} not walkable (${reasons})` : ''}${s.cut ? `, ${s.cut} cut at the depth limit` : ''}`,
  );
}

export async function recordPid(pid: number, options: SampledOptions): Promise<number> {
  const p = await profile(pid, {
    hz: options.hz,
    duration: options.duration,
    subprocesses: options.subprocesses,
    idle: options.idle,
  });
  await recordProfile(p, `PID ${pid}`, options);
  return 0;
}

/**
 * Starts `command` stopped (sh stops itself before it execs), lets it exec,
 * and starts sampling as soon as its interpreter is mapped, before Python
 * runs any of the script.
 */
export async function recordCommand(command: string[], options: SampledOptions): Promise<number> {
  const child = spawn('/bin/sh', ['-c', 'kill -STOP $$; exec "$@"', 'sh', ...command], {
    stdio: ['inherit', 'inherit', 'inherit'],
  });
  const exited = new Promise<number>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + 15 : 1))),
  );
  const pid = child.pid!;
  const shell = safeExe(pid);
  await waitFor(() => state(pid) === 'T' || state(pid) === undefined, 5000);
  process.kill(pid, 'SIGCONT');
  // exec replaces the shell: once the executable changed (and, for a shared
  // build, the loader mapped libpython), the process is stopped again while
  // the sampler loads, so Python runs nothing unsampled.
  let p: Profile | undefined;
  let lastError: unknown;
  for (let i = 0; i < 5000 && state(pid) !== undefined && !p; i++) {
    if (safeExe(pid) !== shell) {
      process.kill(pid, 'SIGSTOP');
      await waitFor(() => state(pid) !== 'R' && state(pid) !== 'S' && state(pid) !== 'D', 1000);
      try {
        findRuntime(pid);
        p = await profile(pid, {
          hz: options.hz,
          duration: options.duration,
          subprocesses: options.subprocesses,
          idle: options.idle,
        });
      } catch (e) {
        lastError = e;
        if (!(e instanceof PytraceError) || e.code !== 'PYTRACE_NOT_PYTHON') {
          process.kill(pid, 'SIGCONT');
          break;
        }
      }
      process.kill(pid, 'SIGCONT');
      if (p) break;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  if (!p) {
    if (state(pid) !== undefined) child.kill('SIGKILL');
    if (lastError) throw lastError;
    throw new UsageError(`${command[0]} exited before it could be sampled`, 'record');
  }
  await recordProfile(p, `${command.join(' ')} (PID ${pid})`, options);
  return exited;
}

function safeExe(pid: number): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}

/** The process's state letter (/proc/PID/stat), undefined when it is gone or a zombie. */
function state(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const s = stat[stat.lastIndexOf(')') + 2];
    return s === 'Z' || s === 'X' ? undefined : s;
  } catch {
    return undefined;
  }
}

async function waitFor(check: () => boolean, ms: number): Promise<void> {
  for (const end = Date.now() + ms; !check() && Date.now() < end;) await new Promise((r) => setTimeout(r, 1));
}
