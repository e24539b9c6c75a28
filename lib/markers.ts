/** CPython's markers, the events they become, and the fields each event carries. */

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
  { event: 'function-entry', marker: 'function__entry', type: 1, args: ['string', 'string', 'number'] },
  { event: 'function-return', marker: 'function__return', type: 2, args: ['string', 'string', 'number'] },
  { event: 'line', marker: 'line', type: 3, args: ['string', 'string', 'number'] },
  { event: 'gc-start', marker: 'gc__start', type: 4, args: ['number'] },
  { event: 'gc-done', marker: 'gc__done', type: 5, args: ['number'] },
  { event: 'import-find-load-start', marker: 'import__find__load__start', type: 6, args: ['string'] },
  { event: 'import-find-load-done', marker: 'import__find__load__done', type: 7, args: ['string', 'number'] },
  // The second argument is the tuple object: the kernel reads its first items.
  { event: 'audit', marker: 'audit', type: 8, args: ['string', 'number'] },
];

export const EVENT_NAMES: readonly EventName[] = MARKERS.map((m) => m.event);
export const PROVIDER = 'python';

export function markerOf(event: EventName): MarkerInfo {
  return MARKERS.find((m) => m.event === event)!;
}

interface Base {
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
export interface GcStartEvent extends Base { type: 'gc-start'; generation: number }
export interface GcDoneEvent extends Base { type: 'gc-done'; collected: number }
export interface ImportStartEvent extends Base { type: 'import-find-load-start'; module: string }
export interface ImportDoneEvent extends Base { type: 'import-find-load-done'; module: string; found: boolean }
/**
 * An audit argument: str, bytes, int and None by value; any other object as
 * its type's name; undefined where it could not be read (a non-ASCII str).
 */
export type AuditArg = string | Buffer | number | bigint | null | { type: string } | undefined;
export interface AuditEvent extends Base {
  type: 'audit';
  event: string;
  /**
   * The first items (at most 4; str and bytes: their first 64 bytes) of the
   * argument tuple, on CPython 3.8 to 3.15 builds that export their type objects.
   */
  args?: AuditArg[];
  /** The tuple's size. */
  argCount?: number;
}

export type TraceEvent = FrameEvent | GcStartEvent | GcDoneEvent | ImportStartEvent | ImportDoneEvent | AuditEvent;
