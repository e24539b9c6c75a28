/**
 * Decodes a stack sample record (struct pt_sample, then its frames:
 * native/bpf/python_layout.h) at the offsets the addon exports.
 */
import { layout } from '../native';

const S = layout.sampling.sample.offsets;
export const SAMPLE_SIZE = layout.sampling.sample.size;
const F = layout.sampling.frame.offsets;
const FRAME_SIZE = layout.sampling.frame.size;
const CUT = layout.sampling.values.PT_SAMPLE_CUT;
const ON_CPU = layout.sampling.values.PT_SAMPLE_ON_CPU;
export const STACK_SAMPLE = layout.eventType.PT_EV_STACK_SAMPLE;

/** A frame as the kernel walked it: code object address, instruction byte offset (< 0: not started). */
export interface RawFrame {
  code: number;
  offset: number;
  /** Of the code the kernel saw at `code` (struct pt_sample_frame; symbols.ts codeIdentity). */
  identity: number;
}

export interface RawSample {
  pid: number;
  tid: number;
  /** In the process's own PID namespace, when it differs from the host's. */
  nsPid?: number;
  nsTid?: number;
  ts: bigint;
  /** Deeper than the kernel's limit: the innermost frames only. */
  cut: boolean;
  /** Innermost first. */
  frames: RawFrame[];
  /** A dump's: PT_SAMPLES_SENT, or why the thread has no stack (enum pt_sample_counter). */
  status: number;
  /** A dump's: the thread was on a CPU as it was walked. */
  onCpu: boolean;
}

/** An s64 as a double, from its little-endian halves (addresses < 2^47 and offsets are exact). */
const HIGH_HALF = 4;
const s64 = (view: DataView, at: number) => view.getInt32(at + HIGH_HALF, true) * 4294967296 + view.getUint32(at, true);

/** The sample at `at` (`size` bytes), or null if its frames do not fit its size. */
export function decodeSample(view: DataView, at: number, size: number): RawSample | null {
  const depth = view.getUint16(at + S.depth, true);
  if (SAMPLE_SIZE + depth * FRAME_SIZE > size) return null;
  const frames: RawFrame[] = new Array(depth);
  for (let i = 0, f = at + SAMPLE_SIZE; i < depth; i++, f += FRAME_SIZE)
    frames[i] = {
      code: s64(view, f + F.code),
      offset: view.getInt32(f + F.offset, true),
      identity: view.getUint32(f + F.identity, true),
    };
  const sample: RawSample = {
    pid: view.getUint32(at + S.pid, true),
    tid: view.getUint32(at + S.tid, true),
    ts: view.getBigUint64(at + S.ts, true),
    cut: (view.getUint8(at + S.flags) & CUT) !== 0,
    frames,
    status: view.getUint16(at + S.status, true),
    onCpu: (view.getUint8(at + S.flags) & ON_CPU) !== 0,
  };
  const nsPid = view.getUint32(at + S.ns_pid, true);
  const nsTid = view.getUint32(at + S.ns_tid, true);
  if (nsPid !== 0 && (nsPid !== sample.pid || nsTid !== sample.tid)) {
    sample.nsPid = nsPid;
    sample.nsTid = nsTid;
  }
  return sample;
}
