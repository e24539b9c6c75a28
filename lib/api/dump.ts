/**
 * dump(pid): every thread's Python stack right now, running or blocked (a hung
 * process is what it is for). The kernel walks each thread with the sampler's
 * frame walker (native/bpf/thread_dump.bpf.h: a task iterator reading the
 * threads' memory), this side symbolizes.
 */
import * as fs from 'fs';
import { fromNative } from '../errors';
import { layout, NativeTrace } from '../native';
import { kernelLayout } from '../sampling/kernel-layout';
import { findRuntime } from '../sampling/runtime';
import { SampleSymbols } from '../sampling/sample-symbols';
import { decodeSample, SAMPLE_SIZE } from '../stream/samples';
import { DEFAULTS, perfPagesFor } from './options';
import { SampleFrame } from './profile';
import { assertPrivileged } from './trace';

const V = layout.sampling.values;

/** Statuses of a walk that failed: a read of a running thread may, the next may not. */
const FAILED = new Set<ThreadStatus>(['stale-frame', 'unreadable', 'not-code']);

/** How many reads a thread gets to come out the same twice in a row (see settledThreads). */
const MAX_READS = 200;

export type ThreadStatus = 'ok' | 'not-python' | 'unreadable' | 'not-code' | 'no-frames' | 'stale-frame';

const STATUS: Record<number, ThreadStatus> = {
  [V.PT_SAMPLES_SENT]: 'ok',
  [V.PT_UNWIND_NO_THREAD]: 'not-python',
  [V.PT_UNWIND_READ_FAULT]: 'unreadable',
  [V.PT_UNWIND_NOT_CODE]: 'not-code',
  [V.PT_UNWIND_EMPTY]: 'no-frames',
  [V.PT_UNWIND_STALE_FRAME]: 'stale-frame',
};

export interface DumpedThread {
  pid: number;
  tid: number;
  /** In the process's own PID namespace, where it differs. */
  nsTid?: number;
  /** The kernel's name of the thread (/proc/PID/task/TID/comm; Python 3.14+ sets it from threading's names). */
  name?: string;
  /** ok: `frames` is its stack; not-python: no thread state (a thread Python does not know); no-frames: idle; the others: the walk failed. */
  status: ThreadStatus;
  /** Innermost first. */
  frames: SampleFrame[];
  /** Deeper than the kernel walks, or a name was cut. */
  truncated?: boolean;
}

/** Every thread of process `pid` with its Python stack, now, in the kernel's order of threads. */
export async function dump(pid: number): Promise<DumpedThread[]> {
  const runtime = findRuntime(pid);
  assertPrivileged();
  const symbols = new SampleSymbols(runtime);
  let native: NativeTrace | undefined;
  let ended!: () => void;
  const end = new Promise<void>((resolve) => (ended = resolve));
  try {
    native = new NativeTrace(
      {
        pid,
        transport: 'ring',
        ringBytes: 4096,
        wakeupBytes: 0,
        drainMs: DEFAULTS.drainMs,
        minDrainGapUs: DEFAULTS.minDrainGapUs,
        batchBytes: DEFAULTS.batchBytes,
        maxPendingBatches: DEFAULTS.maxPendingBatches,
        dropWhenBehind: false,
        perfPages: perfPagesFor(4096),
        dump: true,
      },
      (kind) => kind === 'end' && ended(),
    );
    native.profileProcess(pid, kernelLayout(runtime));
    const read = native;
    return settledThreads(() => readThreads(read, pid, symbols));
  } catch (e) {
    throw fromNative(e);
  } finally {
    symbols.close();
    if (native) {
      native.close();
      await end;
    }
  }
}

/**
 * A thread running on another CPU is read while it runs: caught pushing or
 * popping a frame (a call-heavy loop does so all the time), its chain is torn
 * (3.11/3.12 see it against the data stack, as stale-frame; 3.13+ publish
 * nothing to check it by, and a torn link there can point anywhere: a read
 * fault, or not a code object). So each thread is read until two reads in a
 * row agree on a stack, status and every frame; a failed walk never settles
 * it (a thread whose walk fails every time comes out as its last read had
 * it). A blocked thread agrees at once. A read is one pass of the task
 * iterator: microseconds.
 */
function settledThreads(read: () => DumpedThread[]): DumpedThread[] {
  const settled = new Map<number, DumpedThread>();
  let previous = new Map(read().map((t) => [t.tid, t]));
  let last: DumpedThread[] = [];
  for (let i = 1; i < MAX_READS; i++) {
    last = read();
    for (const t of last) {
      const before = previous.get(t.tid);
      if (!settled.has(t.tid) && before && !FAILED.has(t.status) && sameStack(before, t)) settled.set(t.tid, t);
    }
    if (last.every((t) => settled.has(t.tid))) break;
    previous = new Map(last.map((t) => [t.tid, t]));
  }
  // In the kernel's order of threads; one that never settled as its last read had it.
  return last.map((t) => settled.get(t.tid) ?? t);
}

function sameStack(a: DumpedThread, b: DumpedThread): boolean {
  return (
    a.status === b.status &&
    a.frames.length === b.frames.length &&
    a.frames.every((f, i) => f.code === b.frames[i].code && f.lineno === b.frames[i].lineno)
  );
}

/** The threads of one pass of the kernel's iterator, symbolized. */
function readThreads(native: NativeTrace, pid: number, symbols: SampleSymbols): DumpedThread[] {
  const records = native.dumpThreads(pid);
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  const threads: DumpedThread[] = [];
  for (let at = 0; at + SAMPLE_SIZE <= records.length;) {
    const size = view.getUint16(at, true);
    const s = size >= SAMPLE_SIZE ? decodeSample(view, at, size) : null;
    if (!s) break;
    let truncated = s.cut;
    const frames = s.frames.map((f) => {
      const sym = symbols.frame(f);
      if (sym.truncated) truncated = true;
      return { function: sym.function, filename: sym.filename, lineno: sym.lineno, code: sym.code };
    });
    const t: DumpedThread = { pid: s.pid, tid: s.tid, status: STATUS[s.status] ?? 'unreadable', frames };
    if (s.nsTid !== undefined && s.nsTid !== s.tid) t.nsTid = s.nsTid;
    const name = comm(pid, s.tid);
    if (name !== undefined) t.name = name;
    if (truncated) t.truncated = true;
    threads.push(t);
    at += size;
  }
  return threads;
}

function comm(pid: number, tid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').replace(/\n$/, '');
  } catch {
    return undefined;
  }
}
