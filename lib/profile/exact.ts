/**
 * A flame graph of exact time: each call's self time (from its entry and
 * return, lib/stream/calls.ts) added under its stack, as far as entries were
 * seen, into a StackProfile of wall nanoseconds. Calls still open when the
 * trace ends add nothing (their end is unknown).
 */
import type { Trace } from '../api/trace';
import type { TraceEvent } from '../markers';
import { Call, CallPairing } from '../stream/calls';
import { StackFrame, StackProfile } from './stacks';

export class ExactProfiler {
  readonly profile = new StackProfile({ type: 'wall', unit: 'nanoseconds' });
  private pairing = new CallPairing();
  /** Per call object: its stack's frames, built once per call and shared by the calls it makes. */
  private stacks = new WeakMap<Call, StackFrame[]>();

  constructor(private threadName?: (pid: number, tid: number) => string | undefined) {}

  observe(ev: TraceEvent): void {
    if (ev.type === 'function-entry') {
      const call = this.pairing.enter(ev);
      const parent = call.parent ? this.stacks.get(call.parent) : undefined;
      const frame = { function: ev.function, filename: ev.filename, lineno: ev.lineno };
      this.stacks.set(call, parent ? [...parent, frame] : [frame]);
    } else if (ev.type === 'function-return') {
      const call = this.pairing.leave(ev);
      if (!call) return;
      const name = this.threadName?.(ev.pid, ev.tid);
      this.profile.add({ pid: ev.pid, tid: ev.tid, ...(name !== undefined && { name }) }, this.stacks.get(call)!, Number(call.selfNs));
    }
  }

  /** An exec replaced process `pid`'s program: its open calls are gone. */
  resetProcess(pid: number): void {
    this.pairing.resetProcess(pid);
  }
}

/**
 * The exact profile of `trace` (attached with function-entry and
 * function-return): resolves when the trace closes.
 */
export function exactProfile(trace: Trace, threadName?: (pid: number, tid: number) => string | undefined): Promise<StackProfile> {
  const profiler = new ExactProfiler(threadName);
  const onEvent = (ev: TraceEvent) => profiler.observe(ev);
  trace.on('function-entry', onEvent);
  trace.on('function-return', onEvent);
  return new Promise((resolve) =>
    trace.once('close', () => {
      trace.off('function-entry', onEvent);
      trace.off('function-return', onEvent);
      resolve(profiler.profile);
    }),
  );
}
