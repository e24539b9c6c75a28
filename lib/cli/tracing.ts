/**
 * The life of a trace on the command line: attach, say so on stderr, print
 * events, and on Ctrl-C, SIGTERM, the target's exit or a closed pipe detach
 * cleanly (every event still in flight is printed) and print the summary.
 */
import { attach, AttachOptions, AttachTarget, ExecEvent, ExitEvent, Trace, TraceEvent } from '../index';
import { note, Output } from './output';
import { Printer } from './printers';

export interface TraceSpec {
  target: AttachTarget;
  options: AttachOptions;
  out: Output;
  printer: Printer;
  json: boolean;
  /** What the "tracing ..." line names, e.g. "PID 1234 (Python 3.11)". */
  label(trace: Trace): string;
  /** Called once attached, before anything else runs (run releases its command here). */
  attached?(trace: Trace, stop: () => void): void;
  /** A signal arrived; the default stops the trace. */
  onSignal?(signal: NodeJS.Signals, stop: () => void): void;
  /** Prints the end-of-trace summary (text or one JSON object). */
  summary?(out: Output, trace: Trace): void;
}

export async function runTrace(spec: TraceSpec): Promise<void> {
  const { out } = spec;
  let trace: Trace | undefined;
  let stopping = false;
  let signals = 0;
  const stop = () => {
    stopping = true;
    if (trace) void trace.detach();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    // A second Ctrl-C while detaching takes too long: leave at once (the
    // kernel removes the probes when this process's descriptors close).
    if (++signals > 1 && stopping) process.exit(130);
    if (spec.onSignal) spec.onSignal(signal, stop);
    else stop();
  };
  // Installed before attaching, so a Ctrl-C during the attach still detaches.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    trace = await attach(spec.target, spec.options);
    const closed = new Promise<void>((resolve) => trace!.once('close', resolve));
    trace.on('event', (ev: TraceEvent) => spec.printer.print(ev));
    // A process that exec'd starts its depths again; one that left the trace is said so.
    trace.on('exec', (ev: ExecEvent) => spec.printer.exec?.(ev));
    trace.on('exit', (ev: ExitEvent) => {
      // note() escapes what the target named (its path, and the message quoting it).
      if (ev.reason === 'exec')
        note(`PID ${ev.pid} exec'd ${ev.executable ?? ''}, no longer traced: ${ev.message ?? ''}`);
    });
    trace.on('lost', ({ count, total }: { count: number; total: number }) => {
      note(`${count} events lost (${total} in all): the output could not keep up`);
      if (spec.json) out.json({ type: 'lost', count, total });
    });
    out.onReaderClosed(stop);
    note(`tracing ${spec.label(trace)}, Ctrl-C to stop`);
    spec.attached?.(trace, stop);
    if (stopping) stop();
    await closed;

    const stats = trace.stats();
    spec.summary?.(out, trace);
    await out.drained();
    note(`${stats.events} events, ${stats.lost} lost`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export function pidLabel(trace: Trace): string {
  const d = trace.description;
  return `PID ${trace.pid} (Python ${d.version ?? 'of unknown version'})`;
}
