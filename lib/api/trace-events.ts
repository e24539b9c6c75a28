/**
 * What a Trace emits, by event name: lets `trace.on('gc-done', (e) => ...)`
 * type its listener without annotations.
 */
import type { ExecEvent, ExitEvent, ForkEvent } from './processes';
import type {
  AuditEvent,
  FrameEvent,
  GcDoneEvent,
  GcStartEvent,
  ImportDoneEvent,
  ImportStartEvent,
  TraceEvent,
} from '../markers';

export interface LostReport {
  /** Events lost since the previous report. */
  count: number;
  /** Events lost since attach. */
  total: number;
}

/** Listener argument lists, by event name. */
export interface TraceListeners {
  'function-entry': [event: FrameEvent];
  'function-return': [event: FrameEvent];
  line: [event: FrameEvent];
  'gc-start': [event: GcStartEvent];
  'gc-done': [event: GcDoneEvent];
  'import-find-load-start': [event: ImportStartEvent];
  'import-find-load-done': [event: ImportDoneEvent];
  audit: [event: AuditEvent];
  /** Every event above. */
  event: [event: TraceEvent];
  /** Raw records, as native/bpf/usdt_event.h lays them out. */
  batch: [buffer: ArrayBuffer, records: number];
  lost: [report: LostReport];
  /** A traced process forked (`traced`: the child is followed, `subprocesses`). */
  fork: [event: ForkEvent];
  /** A traced process exec'd a program. */
  exec: [event: ExecEvent];
  /** A traced process ended, or left the trace by exec; the trace closes after the last. */
  exit: [event: ExitEvent];
  close: [];
}

export type TraceEventName = keyof TraceListeners;
export type TraceListener<K extends TraceEventName> = (...args: TraceListeners[K]) => void;
