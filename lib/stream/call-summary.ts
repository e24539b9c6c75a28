/**
 * Per function: calls, total (inclusive) time, self time, mean and max, from
 * the calls CallPairing ends. A recursive function's total counts its
 * outermost call only, so no time is counted twice; its self time is the sum
 * over every call, which never overlaps.
 */
import { Call } from './calls';

export interface FunctionTimes {
  filename: string;
  function: string;
  /** The lowest line its entries reported: its first line, once a call started it. */
  lineno: number;
  calls: number;
  totalNs: number;
  selfNs: number;
  /** totalNs over calls that were not inside another call of the same function. */
  meanNs: number;
  maxNs: number;
}

interface Entry extends FunctionTimes {
  /** Calls counted in totalNs (the outermost ones). */
  outermost: number;
}

export class CallSummary {
  private byKey = new Map<string, Entry>();

  /** Adds an ended call. */
  add(call: Call): void {
    const e = call.entry;
    const key = `${e.function}\u0000${e.filename}`;
    let t = this.byKey.get(key);
    if (!t)
      this.byKey.set(
        key,
        (t = {
          filename: e.filename,
          function: e.function,
          lineno: e.lineno,
          calls: 0,
          totalNs: 0,
          selfNs: 0,
          meanNs: 0,
          maxNs: 0,
          outermost: 0,
        }),
      );
    if (e.lineno < t.lineno) t.lineno = e.lineno;
    t.calls++;
    t.selfNs += call.selfNs;
    if (call.durationNs > t.maxNs) t.maxNs = call.durationNs;
    if (!insideItself(call)) {
      t.outermost++;
      t.totalNs += call.durationNs;
    }
  }

  /** Every function seen, by self time, highest first (then by name, for a stable order). */
  functions(): FunctionTimes[] {
    return [...this.byKey.values()]
      .map(({ outermost, ...t }) => ({ ...t, meanNs: outermost ? Math.round(t.totalNs / outermost) : 0 }))
      .sort(
        (a, b) =>
          b.selfNs - a.selfNs ||
          (a.function < b.function
            ? -1
            : a.function > b.function
              ? 1
              : a.filename < b.filename
                ? -1
                : a.filename > b.filename
                  ? 1
                  : 0),
      );
  }
}

function insideItself(call: Call): boolean {
  const e = call.entry;
  for (let c = call.parent; c; c = c.parent)
    if (c.entry.function === e.function && c.entry.filename === e.filename) return true;
  return false;
}
