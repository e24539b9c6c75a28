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

function comm(pid: number, tid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').replace(/\n$/, '');
  } catch {
    return undefined;
  }
}
