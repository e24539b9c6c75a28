/**
 * Weighted stacks per thread: the one input of every profile format
 * (collapsed, speedscope, pprof, the HTML flame graph). Sampled profiles add
 * one per sample (value 1, or the sampling period); exact traces add each
 * call's self time under its stack. Frames and stacks are interned, so memory
 * grows with the distinct stacks seen, not with the samples or calls.
 */

/** One frame, as the formats show it. */
export interface StackFrame {
  function: string;
  filename: string;
  /** The line of the frame's current instruction (sampled) or of its def (exact); 0: unknown. */
  lineno: number;
  /** The line of the function's def, where known (pprof's start line). */
  firstLineno?: number;
}

export interface StackThread {
  pid: number;
  tid: number;
  /** The thread's name, where the interpreter or the kernel has it. */
  name?: string;
}

/** What a value counts. */
export interface ValueKind {
  /** pprof's sample type: "samples", "cpu", "wall". */
  type: string;
  /** "count" or "nanoseconds". */
  unit: 'count' | 'nanoseconds';
}

export interface ThreadStacks {
  thread: StackThread;
  /** Each distinct stack once, frames outermost first, with its summed value. */
  stacks: { frames: readonly StackFrame[]; value: number }[];
  total: number;
}

interface ThreadEntry {
  thread: StackThread;
  byKey: Map<string, { ids: number[]; value: number }>;
  total: number;
}

export class StackProfile {
  private frameIds = new Map<string, number>();
  private frameList: StackFrame[] = [];
  private byThread = new Map<string, ThreadEntry>();
  private sum = 0;

  /**
   * @param kind what values count
   * @param periodNs for sampled profiles: nanoseconds between samples of a thread (pprof's period)
   */
  constructor(
    readonly kind: ValueKind,
    readonly periodNs?: number,
  ) {}

  /** Adds `value` to the stack `frames` (outermost first) of `thread`. */
  add(thread: StackThread, frames: readonly StackFrame[], value: number): void {
    const threadKey = `${thread.pid}/${thread.tid}`;
    let entry = this.byThread.get(threadKey);
    if (!entry) this.byThread.set(threadKey, (entry = { thread: { ...thread }, byKey: new Map(), total: 0 }));
    else if (thread.name !== undefined) entry.thread.name = thread.name;
    const ids = frames.map((f) => this.intern(f));
    const key = ids.join(',');
    const stack = entry.byKey.get(key);
    if (stack) stack.value += value;
    else entry.byKey.set(key, { ids, value });
    entry.total += value;
    this.sum += value;
  }

  /** The sum of every value added. */
  total(): number {
    return this.sum;
  }

  /** Every distinct frame, by id (the order frames were first seen). */
  frames(): readonly StackFrame[] {
    return this.frameList;
  }

  /** Per thread, in the order threads were first seen. */
  threads(): ThreadStacks[] {
    return [...this.byThread.values()].map((t) => ({
      thread: t.thread,
      total: t.total,
      stacks: [...t.byKey.values()].map((s) => ({ frames: s.ids.map((id) => this.frameList[id]), value: s.value })),
    }));
  }

  /** Per thread, stacks as frame ids into frames(): for writers that intern frames themselves. */
  threadsById(): { thread: StackThread; total: number; stacks: { ids: readonly number[]; value: number }[] }[] {
    return [...this.byThread.values()].map((t) => ({
      thread: t.thread,
      total: t.total,
      stacks: [...t.byKey.values()],
    }));
  }

  private intern(f: StackFrame): number {
    const key = `${f.lineno}\u0000${f.firstLineno ?? ''}\u0000${f.function}\u0000${f.filename}`;
    let id = this.frameIds.get(key);
    if (id === undefined) {
      id = this.frameList.length;
      this.frameIds.set(key, id);
      const frame: StackFrame = { function: f.function, filename: f.filename, lineno: f.lineno };
      if (f.firstLineno !== undefined) frame.firstLineno = f.firstLineno;
      this.frameList.push(frame);
    }
    return id;
  }
}
