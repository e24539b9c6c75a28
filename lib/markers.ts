/** CPython's markers, the events they become, and the fields each event carries. */
import { layout } from './native';

const T = layout.eventType;

export type EventName =
  | 'function-entry'
  | 'function-return'
  | 'line'
  | 'gc-start'
  | 'gc-done'
  | 'import-find-load-start'
  | 'import-find-load-done'
  | 'audit';

export interface MarkerInfo {
  event: EventName;
  /** The marker's name in the notes (provider "python"). */
  marker: string;
  /** enum pt_event_type in native/bpf/usdt_event.h */
  type: number;
  /** Which of the marker's arguments are C strings, in order; null: not fetched. */
  args: ('string' | 'number' | null)[];
}

export const MARKERS: readonly MarkerInfo[] = [
  {
    event: 'function-entry',
    marker: 'function__entry',
    type: T.PT_EV_FUNCTION_ENTRY,
    args: ['string', 'string', 'number'],
  },
  {
    event: 'function-return',
    marker: 'function__return',
    type: T.PT_EV_FUNCTION_RETURN,
    args: ['string', 'string', 'number'],
  },
  { event: 'line', marker: 'line', type: T.PT_EV_LINE, args: ['string', 'string', 'number'] },
  { event: 'gc-start', marker: 'gc__start', type: T.PT_EV_GC_START, args: ['number'] },
  { event: 'gc-done', marker: 'gc__done', type: T.PT_EV_GC_DONE, args: ['number'] },
  {
    event: 'import-find-load-start',
    marker: 'import__find__load__start',
    type: T.PT_EV_IMPORT_START,
    args: ['string'],
  },
  {
    event: 'import-find-load-done',
    marker: 'import__find__load__done',
    type: T.PT_EV_IMPORT_DONE,
    args: ['string', 'number'],
  },
  // The second argument is the tuple object: the kernel reads its first items.
  { event: 'audit', marker: 'audit', type: T.PT_EV_AUDIT, args: ['string', 'number'] },
];

export const EVENT_NAMES: readonly EventName[] = MARKERS.map((m) => m.event);
export const PROVIDER = 'python';

export function markerOf(event: EventName): MarkerInfo {
  return MARKERS.find((m) => m.event === event)!;
}

interface Base {
  /**
   * A name of the event (file, function, module, audit event name) was longer
   * than 4096 bytes: it holds the first 4096 at most, cut on a character boundary.
   */
  truncated?: true;
  /** Host ids. */
  pid: number;
  tid: number;
  /** The ids inside the process's PID namespace, when it is not the tracer's (a container). */
  nsPid?: number;
  nsTid?: number;
  /** CLOCK_MONOTONIC nanoseconds. */
  ts: bigint;
}
export interface FrameEvent extends Base {
  type: 'function-entry' | 'function-return' | 'line';
  filename: string;
  function: string;
  lineno: number;
  /**
   * On a return pytrace adds (CPython 3.15): the call only created a generator
   * or coroutine, and CPython fires no return for it (see lib/planning/generators.ts).
   */
  generatorCreated?: true;
  /**
   * On a return, when entries and returns are both traced: the call's time
   * from its entry, and that less the time of the calls it made (see
   * lib/stream/calls.ts), in nanoseconds; null when its entry came before
   * the trace began.
   */
  durationNs?: number | null;
  selfNs?: number | null;
}
export interface GcStartEvent extends Base {
  type: 'gc-start';
  generation: number;
}
export interface GcDoneEvent extends Base {
  type: 'gc-done';
  collected: number;
}
export interface ImportStartEvent extends Base {
  type: 'import-find-load-start';
  module: string;
}
export interface ImportDoneEvent extends Base {
  type: 'import-find-load-done';
  module: string;
  found: boolean;
}
/**
 * An audit argument, in one form that JSON shows as it is:
 * - a str: a string; bytes: `{ bytes: "<hex>" }`; an int: a number (a bigint
 *   beyond 2^53); None: null; a tuple (one level deep, e.g. a socket address
 *   `('127.0.0.1', 80)`): an array of these;
 * - a value cut to what the kernel reads (str and bytes: 256 bytes, a tuple:
 *   its first 4 items): the same with `truncated: true`, as `{ str, truncated }`,
 *   `{ bytes, truncated }` or `{ tuple, size, truncated }`;
 * - any other object, or one whose value was not read (an int beyond 240
 *   bits, a tuple deeper down): `{ type: "<its type's name>" }`.
 * lib/cli/audit-repr.ts shows them as Python's repr() would.
 */
export type AuditArg =
  string | number | bigint | null | AuditArg[] | AuditBytes | AuditCutStr | AuditCutTuple | AuditOther;
export interface AuditBytes {
  bytes: string;
  truncated?: true;
}
export interface AuditCutStr {
  str: string;
  truncated: true;
}
export interface AuditCutTuple {
  tuple: AuditArg[];
  /** How many items the tuple has. */
  size: number;
  truncated: true;
}
export interface AuditOther {
  type: string;
}
export interface AuditEvent extends Base {
  type: 'audit';
  event: string;
  /**
   * The first items (at most 6) of the argument tuple, on CPython 3.8 to 3.15
   * builds that export their type objects.
   */
  args?: AuditArg[];
  /** The tuple's size. */
  argCount?: number;
}

export type TraceEvent = FrameEvent | GcStartEvent | GcDoneEvent | ImportStartEvent | ImportDoneEvent | AuditEvent;
