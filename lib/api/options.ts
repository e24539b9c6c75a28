/**
 * attach()'s options: the one table of their defaults, and the checks that
 * turn a value that makes no sense into a PytraceError (PYTRACE_BAD_OPTION,
 * naming the option and what it takes) before anything is asked of the kernel.
 */
import * as os from 'os';
import { PytraceError } from '../errors';
import { EVENT_NAMES, EventName } from '../markers';

/** attach()'s options; their defaults and allowed values are DEFAULTS and RULES below. */
export interface AttachOptions {
  /** Markers to trace; default: every one that fires in this build except `line`. */
  events?: EventName[];
  /** 'auto' (default) uses the BPF ring buffer where the kernel has it, else the perf buffer. */
  transport?: 'auto' | 'ring' | 'perf';
  /** Ring buffer size in bytes (power of two). Default 16 MiB. */
  ringBytes?: number;
  /** Wake the reader once this many bytes are pending (perf: on one CPU, at most half its buffer). Default 64 KiB; 0: every record. */
  wakeupBytes?: number;
  /** The reader also drains every this many ms. Default 5. */
  drainMs?: number;
  /** The reader drains at most once per this many microseconds. Default 250. */
  minDrainGapUs?: number;
  /** Records per hand-over to JS, in bytes. Default 256 KiB. */
  batchBytes?: number;
  /** Batches waiting for JS before backpressure applies. Default 16. */
  maxPendingBatches?: number;
  /** When JS falls behind: 'pause' the reader (the ring then refuses, counted) or 'drop' batches (counted). */
  onBackpressure?: 'pause' | 'drop';
  /** Per-CPU perf buffer pages (a power of two), for the perf transport. Default: the ring's size shared among the CPUs, at least 64. */
  perfPages?: number;
  /**
   * Per thread, only events from the entry of the function with this name to
   * its matching return (recursion counted), decided in the kernel.
   */
  within?: string;
  /**
   * Trace the processes it forks from then on (os.fork, multiprocessing), from
   * their first instruction; their events carry their pid, each ends with its
   * own `exit`, and the trace with the last. Default false: children run
   * untraced, at full speed (pytrace lowers the semaphores they inherit).
   * For a process trace (a PID), not a binary's.
   */
  subprocesses?: boolean;
  /**
   * With function-entry and function-return both traced: give each return
   * its call's durationNs and selfNs (entries paired per thread in JS).
   * Default true; false saves that step (measured: about 60 ns per event).
   */
  durations?: boolean;
}

/**
 * Events a plain attach() leaves out: they are traced only when named.
 * `line` fires on every line the program runs and slows it several times
 * (on 3.11 about 8x per call, against the entries' cost).
 */
export const OPT_IN_EVENTS: readonly EventName[] = ['line'];

/** Whether attach() without `events` traces `event` (when it fires in the build). */
export function isDefaultEvent(event: EventName): boolean {
  return !OPT_IN_EVENTS.includes(event);
}

/** The longest `within` name the kernel compares, in UTF-8 bytes (PT_WITHIN_MAX - 1 in native/bpf/usdt_event.h). */
export const WITHIN_MAX_BYTES = 63;

/** Every option with a fixed default, and that default. */
export const DEFAULTS = {
  transport: 'auto',
  ringBytes: 16 << 20,
  wakeupBytes: 64 << 10,
  drainMs: 5,
  minDrainGapUs: 250,
  batchBytes: 256 << 10,
  maxPendingBatches: 16,
  onBackpressure: 'pause',
  subprocesses: false,
  durations: true,
} as const satisfies Required<Omit<AttachOptions, 'events' | 'within' | 'perfPages'>>;

/**
 * perfPages has no fixed default: the perf buffer holds as much as the ring
 * would, spread over one buffer per CPU. With 64 pages (256 KiB) a CPU's
 * buffer filled whenever JS paused for a few ms at full rate (measured: up to
 * 1% of 500 K calls lost).
 */
export function perfPagesFor(ringBytes: number, cpus = os.cpus().length): number {
  const pages = Math.max(1, Math.floor(ringBytes / 4096 / Math.max(1, cpus)));
  return Math.max(64, 2 ** Math.floor(Math.log2(pages)));
}

/** The options attach() works with: every default filled in. */
export type ResolvedOptions = { -readonly [K in keyof typeof DEFAULTS]: NonNullable<AttachOptions[K]> } & {
  perfPages: number;
} & Pick<AttachOptions, 'events' | 'within'>;

export interface NumberRule {
  kind: 'number';
  min: number;
  max: number;
  integer?: boolean;
  powerOfTwo?: boolean;
  unit: string;
}
interface ChoiceRule {
  kind: 'choice';
  allowed: readonly string[];
}
type Rule = NumberRule | ChoiceRule | { kind: 'boolean' } | { kind: 'events' } | { kind: 'within' };

const MiB = 1 << 20;

/** What each option takes. Keyed by every option, so a new one cannot go unchecked. */
const RULES: { [K in keyof Required<AttachOptions>]: Rule } = {
  events: { kind: 'events' },
  within: { kind: 'within' },
  transport: { kind: 'choice', allowed: ['auto', 'ring', 'perf'] },
  // The kernel wants a power of two and a multiple of the page size.
  ringBytes: { kind: 'number', min: 4096, max: 1024 * MiB, integer: true, powerOfTwo: true, unit: 'bytes' },
  wakeupBytes: { kind: 'number', min: 0, max: 1024 * MiB, integer: true, unit: 'bytes' },
  drainMs: { kind: 'number', min: 1, max: 60_000, integer: true, unit: 'milliseconds' },
  minDrainGapUs: { kind: 'number', min: 0, max: 1_000_000, integer: true, unit: 'microseconds' },
  batchBytes: { kind: 'number', min: 4096, max: 64 * MiB, integer: true, unit: 'bytes' },
  maxPendingBatches: { kind: 'number', min: 1, max: 65536, integer: true, unit: 'batches' },
  onBackpressure: { kind: 'choice', allowed: ['pause', 'drop'] },
  subprocesses: { kind: 'boolean' },
  durations: { kind: 'boolean' },
  perfPages: { kind: 'number', min: 1, max: 65536, integer: true, powerOfTwo: true, unit: 'pages per CPU' },
};

export function bad(name: string, message: string): PytraceError {
  return new PytraceError('PYTRACE_BAD_OPTION', `Option "${name}" ${message}`);
}

export function shownValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (Array.isArray(v)) return `an array (${JSON.stringify(v)})`;
  if (v === null) return 'null';
  return typeof v === 'object' || typeof v === 'function'
    ? `a${typeof v === 'object' ? 'n' : ''} ${typeof v}`
    : String(v);
}

export function checkNumber(name: string, v: unknown, r: NumberRule): void {
  const what = `${r.integer ? 'an integer' : 'a number'}${r.powerOfTwo ? ', a power of two,' : ''} from ${r.min} to ${r.max} (${r.unit})`;
  const ok =
    typeof v === 'number' &&
    Number.isFinite(v) &&
    v >= r.min &&
    v <= r.max &&
    (!r.integer || Number.isInteger(v)) &&
    (!r.powerOfTwo || (v & (v - 1)) === 0);
  if (!ok) throw bad(name, `takes ${what}, not ${shownValue(v)}.`);
}

function checkEvents(v: unknown): void {
  const what = `takes an array of event names (${EVENT_NAMES.join(', ')}); leave it out for every event that fires except ${OPT_IN_EVENTS.join(', ')}`;
  if (typeof v === 'string')
    throw bad('events', `${what}; not the string ${shownValue(v)} (write [${shownValue(v)}]).`);
  if (!Array.isArray(v)) throw bad('events', `${what}; not ${shownValue(v)}.`);
  if (v.length === 0) throw bad('events', `${what}; [] would trace nothing.`);
  for (const e of v) {
    if (typeof e !== 'string') throw bad('events', `${what}; not an array holding ${shownValue(e)}.`);
    // A string that names no event keeps its own code: the name is wrong, not the option's shape.
    if (!(EVENT_NAMES as readonly string[]).includes(e))
      throw new PytraceError('PYTRACE_UNKNOWN_EVENT', `Unknown event "${e}". Events: ${EVENT_NAMES.join(', ')}.`);
  }
}

function checkWithin(v: unknown): void {
  const what = `takes the name of a Python function (1 to ${WITHIN_MAX_BYTES} bytes of UTF-8, no NUL)`;
  if (typeof v !== 'string') throw bad('within', `${what}, not ${shownValue(v)}.`);
  if (v === '') throw bad('within', `${what}; "" names none (leave the option out to trace every function).`);
  if (v.includes('\0'))
    throw bad('within', `${what}; ${shownValue(v)} has a NUL, which no name the markers report can have.`);
  if (Buffer.byteLength(v) > WITHIN_MAX_BYTES)
    throw bad('within', `${what}; ${shownValue(v)} is ${Buffer.byteLength(v)} bytes, longer than the kernel compares.`);
}

/**
 * Checks every option given and fills in the defaults. Unknown option names
 * are errors too (a misspelt option would otherwise be ignored).
 */
export function resolveOptions(options: unknown): ResolvedOptions {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new PytraceError(
      'PYTRACE_BAD_OPTION',
      `attach() takes its options as an object, not ${shownValue(options)}.`,
    );
  const given = options as Record<string, unknown>;
  for (const [name, v] of Object.entries(given)) {
    const rule = (RULES as Record<string, Rule | undefined>)[name];
    if (!rule)
      throw new PytraceError(
        'PYTRACE_BAD_OPTION',
        `Unknown option "${name}". Options: ${Object.keys(RULES).join(', ')}.`,
      );
    // undefined means "not given": the default applies.
    if (v === undefined) continue;
    if (rule.kind === 'number') checkNumber(name, v, rule);
    else if (rule.kind === 'choice') {
      if (typeof v !== 'string' || !rule.allowed.includes(v))
        throw bad(name, `is one of ${rule.allowed.map((a) => `"${a}"`).join(', ')}, not ${shownValue(v)}.`);
    } else if (rule.kind === 'boolean') {
      if (typeof v !== 'boolean') throw bad(name, `is true or false, not ${shownValue(v)}.`);
    } else if (rule.kind === 'events') checkEvents(v);
    else checkWithin(v);
  }
  const resolved = { ...DEFAULTS } as ResolvedOptions;
  for (const [name, v] of Object.entries(given)) if (v !== undefined) (resolved as Record<string, unknown>)[name] = v;
  if (given.perfPages === undefined) resolved.perfPages = perfPagesFor(resolved.ringBytes);
  // Only when asked for: a small ring under the default threshold is drained every drainMs instead.
  if (given.wakeupBytes !== undefined && resolved.wakeupBytes > resolved.ringBytes)
    throw bad(
      'wakeupBytes',
      `must not exceed ringBytes (${resolved.ringBytes}): the reader would never be woken by it; it is ${resolved.wakeupBytes}.`,
    );
  return resolved;
}
