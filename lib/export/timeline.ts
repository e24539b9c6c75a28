/**
 * A trace's timeline, streamed to a Trace Event file while the trace runs:
 * the library's counterpart of `pytrace record --exact`. Memory stays that of
 * one piece of the file and the slices open.
 */
import type { Trace } from '../api/trace';
import { PytraceError, writeError } from '../errors';
import type { TraceEvent } from '../markers';
import { TraceEventWriter, TraceEventWriterOptions } from './trace-event-json';

export interface TimelineResult {
  /** Trace events written, metadata included. */
  events: number;
  bytes: number;
  /** The size cap (`maxBytes`) stopped the file before the trace ended. */
  full: boolean;
}

/**
 * Writes every event of `trace` to `file` as a Trace Event timeline
 * (Perfetto, chrome://tracing); resolves once the trace has closed and the
 * file is complete.
 */
export async function writeTimeline(
  trace: Trace,
  file: string,
  options: TraceEventWriterOptions = {},
): Promise<TimelineResult> {
  if (trace.closed)
    throw new PytraceError('PYTRACE_BAD_OPTION', 'writeTimeline() needs a trace still open: this one has closed.');
  let writer: TraceEventWriter;
  let failed: (e: Error) => void = () => {};
  try {
    writer = new TraceEventWriter(file, { ...options, onFailed: (e) => (options.onFailed?.(e), failed(e)) });
  } catch (e) {
    throw writeError(e, file, 'the timeline');
  }
  const onEvent = (ev: TraceEvent) => writer.write(ev);
  trace.on('event', onEvent);
  return await new Promise((resolve, reject) => {
    const onClose = () => {
      trace.off('event', onEvent);
      writer.close();
      resolve({ events: writer.events, bytes: writer.bytes, full: writer.isFull });
    };
    // A full disk: the file is given up at once (the trace goes on), and the promise says why.
    failed = (e) => {
      trace.off('event', onEvent);
      trace.off('close', onClose);
      writer.close();
      reject(writeError(e, file, 'the timeline'));
    };
    trace.once('close', onClose);
  });
}
