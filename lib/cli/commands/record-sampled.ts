/**
 * pytrace record's sampled mode: stack samples of a process (PID), or of a
 * command it starts, written in the chosen profile format (collapsed stacks
 * by default) when the profile ends (Ctrl-C, --duration, or the target's exit).
 */
import { PytraceError } from '../../errors';
import { Profile, profile } from '../../api/profile';
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

/** Samples `command` from its first instruction; its exit status is the result. */
export async function recordCommand(command: string[], options: SampledOptions): Promise<number> {
  let p: Profile;
  try {
    p = await profile(
      { command },
      { hz: options.hz, duration: options.duration, subprocesses: options.subprocesses, idle: options.idle },
    );
  } catch (e) {
    if (e instanceof PytraceError && e.code === 'PYTRACE_NO_PROCESS')
      throw new UsageError(`${command[0]} exited before it could be sampled`, 'record');
    throw e;
  }
  await recordProfile(p, `${command.join(' ')} (PID ${p.pid})`, options);
  return p.command!.exited;
}
