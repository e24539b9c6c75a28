/**
 * Entries and returns paired into calls, per thread: each call's depth, its
 * inclusive duration and its self time (the duration less its children's).
 * The library fixes each version's quirks before events get here (3.11's
 * entries through the line semaphore, 3.15's missing return at generator
 * creation), so the stream is balanced per thread, except where tracing began
 * inside calls (their returns have no entry) or events were lost.
 */
import { FrameEvent } from '../markers';

/** A call whose entry was seen. */
export interface Call {
  entry: FrameEvent;
  /** The call it was made from, when that entry was seen too. */
  parent: Call | null;
  /** Calls open below it on its thread (0: the outermost seen). */
  depth: number;
  /**
   * The durations of its children that returned so far. Durations are
   * numbers: exact up to 2^53 ns (104 days), and cheaper than bigints, which
   * allocate on every operation.
   */
  childNs: number;
  /** Set when it returns. */
  durationNs: number;
  selfNs: number;
  /** A consumer's own state for this call (the exact profile keeps its stack here); null until set. */
  data: unknown;
}

/** Threads at depth 0 kept before they are swept. */
const MAX_IDLE_THREADS = 4096;

interface ThreadCalls {
  pid: number;
  top: Call | null;
}

export interface CallPairingStats {
  /** Returns paired with their entries. */
  paired: number;
  /** Returns whose entry came before the trace began (or was lost). */
  unpaired: number;
  /** Calls that never got their return: a later return of a caller closed them (lost events). */
  abandoned: number;
}

export class CallPairing {
  private threads = new Map<number, ThreadCalls>();
  readonly stats: CallPairingStats = { paired: 0, unpaired: 0, abandoned: 0 };

  /** Notes an entry or a return; for a paired return, the call it ends (else null). */
  observe(ev: FrameEvent): Call | null {
    if (ev.type === 'function-entry') {
      this.enter(ev);
      return null;
    }
    if (ev.type === 'function-return') return this.leave(ev);
    return null;
  }

  /** The innermost open call of `tid`. */
  current(tid: number): Call | null {
    return this.threads.get(tid)?.top ?? null;
  }

  /** The number of open calls of `tid`. */
  depth(tid: number): number {
    const top = this.threads.get(tid)?.top;
    return top ? top.depth + 1 : 0;
  }

  enter(ev: FrameEvent): Call {
    let t = this.threads.get(ev.tid);
    if (!t) this.threads.set(ev.tid, (t = { pid: ev.pid, top: null }));
    else if (!t.top) t.pid = ev.pid; // a thread id reused by another process
    const parent = t.top;
    const call: Call = {
      entry: ev,
      parent,
      depth: parent ? parent.depth + 1 : 0,
      childNs: 0,
      durationNs: 0,
      selfNs: 0,
      data: null,
    };
    t.top = call;
    return call;
  }

  /** Pairs a return with its entry: the call it ends, or null when its entry was not seen. */
  leave(ev: FrameEvent): Call | null {
    const t = this.threads.get(ev.tid);
    let call = t?.top ?? null;
    // Normally the innermost open call; after a loss, a caller further out.
    while (call && (call.entry.function !== ev.function || call.entry.filename !== ev.filename)) call = call.parent;
    if (!t || !call) {
      this.stats.unpaired++;
      return null;
    }
    for (let c = t.top; c !== call; c = c!.parent) this.stats.abandoned++;
    call.durationNs = Number(ev.ts - call.entry.ts);
    call.selfNs = call.durationNs - call.childNs;
    if (call.parent) call.parent.childNs += call.durationNs;
    t.top = call.parent;
    // A thread back at depth 0 stays (deleting and making it again cost more
    // than the pairing); threads come and go, so idle ones are swept now and then.
    if (!t.top && this.threads.size > MAX_IDLE_THREADS) this.sweep();
    this.stats.paired++;
    return call;
  }

  private sweep(): void {
    for (const [tid, t] of this.threads) if (!t.top) this.threads.delete(tid);
  }

  /** Every open call, per thread, innermost first: what a trace cut short leaves. */
  *open(): IterableIterator<{ pid: number; tid: number; calls: Call[] }> {
    for (const [tid, t] of this.threads) {
      if (!t.top) continue;
      const calls: Call[] = [];
      for (let c: Call | null = t.top; c; c = c.parent) calls.push(c);
      yield { pid: t.pid, tid, calls };
    }
  }

  /** Forgets the open calls of process `pid`: an exec replaced its program, or it exited. */
  resetProcess(pid: number): void {
    for (const [tid, t] of this.threads) if (t.pid === pid) this.threads.delete(tid);
  }

  /** Forgets every open call. */
  reset(): void {
    this.threads.clear();
  }
}

/** The frames of `call`'s stack, outermost first, as far as entries were seen. */
export function stackOf(call: Call): FrameEvent[] {
  const frames: FrameEvent[] = [];
  for (let c: Call | null = call; c; c = c.parent) frames.push(c.entry);
  return frames.reverse();
}
