/** pytrace calls --summary: per function calls, total, self, mean and max time, by self time. */
import { TraceEvent } from '../index';
import { CallPairing } from '../stream/calls';
import { CallSummary, FunctionTimes } from '../stream/call-summary';
import { printable } from './escape';
import { formatDuration, Output } from './output';
import { Printer } from './printers';

/** Prints nothing per event: pairs calls and sums them per function. */
export class CallSummaryPrinter implements Printer {
  readonly pairing = new CallPairing();
  readonly summary = new CallSummary();

  print(ev: TraceEvent): void {
    if (ev.type !== 'function-entry' && ev.type !== 'function-return') return;
    const call = this.pairing.observe(ev);
    if (call) this.summary.add(call);
  }

  write(out: Output, json: boolean, extra: object): void {
    const functions = this.summary.functions();
    const { paired, unpaired } = this.pairing.stats;
    if (json) {
      out.json({ type: 'summary', ...extra, calls: paired, unpaired, functions });
      return;
    }
    out.line(
      `${paired} calls of ${functions.length} functions${unpaired ? `, ${unpaired} returns without their entry (called before tracing began)` : ''}; by self time:`,
    );
    out.line(
      `${'calls'.padStart(9)} ${'total'.padStart(11)} ${'self'.padStart(11)} ${'mean'.padStart(11)} ${'max'.padStart(11)}  function`,
    );
    for (const f of functions) out.line(row(f));
  }
}

function row(f: FunctionTimes): string {
  const d = (ns: number) => formatDuration(ns).padStart(11);
  return `${String(f.calls).padStart(9)} ${d(f.totalNs)} ${d(f.selfNs)} ${d(f.meanNs)} ${d(f.maxNs)}  ${printable(f.function)} (${printable(f.filename)}:${f.lineno})`;
}
