/**
 * profile()'s options: their defaults, and the checks that turn a value that
 * makes no sense into PYTRACE_BAD_OPTION before anything is asked of the
 * kernel (as attach()'s, lib/api/options.ts).
 */
import { PytraceError } from '../errors';
import { bad, checkNumber, NumberRule, shownValue } from './options';

export interface ProfileOptions {
  /** Samples a second on each CPU (CPU time: a thread is sampled while it runs). Default 99. */
  hz?: number;
  /** Stop after this many seconds. Default: until close(), or the target's exit. */
  duration?: number;
  /** Only these threads (kernel tids); default every thread of the process. */
  threads?: number[];
  /** 'auto' (default): the BPF ring buffer where the kernel has it, else the perf buffer. */
  transport?: 'auto' | 'ring' | 'perf';
  /**
   * Off-CPU threads too (blocked, sleeping, waiting for a CPU): a timer walks every thread
   * not on a CPU `hz` times a second of wall time, as py-spy's --idle; their samples say
   * offCpu. Default false: only threads on a CPU, sampled by its clock.
   */
  idle?: boolean;
  /** Children it forks or execs later (a CPython) join the profile, their samples under their own pid. Default false. */
  subprocesses?: boolean;
}

export const PROFILE_DEFAULTS = { hz: 99 } as const;

const RULES: { [K in keyof Required<ProfileOptions>]: NumberRule | 'threads' | 'transport' | 'boolean' } = {
  // At most one sample per 100 us of a CPU: beyond that the walk costs the machine more than a few percent.
  hz: { kind: 'number', min: 1, max: 10_000, integer: true, unit: 'samples a second per CPU' },
  duration: { kind: 'number', min: 0.001, max: 365 * 86400, unit: 'seconds' },
  threads: 'threads',
  transport: 'transport',
  subprocesses: 'boolean',
  idle: 'boolean',
};

export interface ResolvedProfileOptions {
  hz: number;
  duration?: number;
  threads?: Set<number>;
  transport: 'auto' | 'ring' | 'perf';
  subprocesses: boolean;
  idle: boolean;
}

export function resolveProfileOptions(options: unknown): ResolvedProfileOptions {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new PytraceError(
      'PYTRACE_BAD_OPTION',
      `profile() takes its options as an object, not ${shownValue(options)}.`,
    );
  const given = options as Record<string, unknown>;
  const out: ResolvedProfileOptions = { hz: PROFILE_DEFAULTS.hz, transport: 'auto', subprocesses: false, idle: false };
  for (const [name, v] of Object.entries(given)) {
    const rule = (RULES as Record<string, (typeof RULES)[keyof typeof RULES] | undefined>)[name];
    if (!rule)
      throw new PytraceError(
        'PYTRACE_BAD_OPTION',
        `Unknown option "${name}". Options: ${Object.keys(RULES).join(', ')}.`,
      );
    if (v === undefined) continue;
    if (rule === 'threads') {
      if (!Array.isArray(v) || v.length === 0 || !v.every((t) => Number.isInteger(t) && t > 0))
        throw bad(name, `takes a non-empty array of thread ids (positive integers), not ${shownValue(v)}.`);
      out.threads = new Set(v as number[]);
    } else if (rule === 'boolean') {
      if (typeof v !== 'boolean') throw bad(name, `is true or false, not ${shownValue(v)}.`);
      out[name as 'subprocesses' | 'idle'] = v;
    } else if (rule === 'transport') {
      if (v !== 'auto' && v !== 'ring' && v !== 'perf')
        throw bad(name, `is one of "auto", "ring", "perf", not ${shownValue(v)}.`);
      out.transport = v;
    } else {
      checkNumber(name, v, rule);
      if (name === 'hz') out.hz = v as number;
      else out.duration = v as number;
    }
  }
  return out;
}
