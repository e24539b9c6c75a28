/** The compiled addon, typed. Only this file knows its shape. */
import fs from 'node:fs';
import path from 'node:path';
import loadAddon from 'node-gyp-build';

/** The package's root, the directory with binding.gyp: above dist/, lib/ or the benchmark's bench/dist/lib/. */
function packageRoot(from: string): string {
  for (let dir = from; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'binding.gyp'))) return dir;
  }
  return path.dirname(from);
}

// A local build (build/Release) if there is one, else the prebuilt addon for
// this platform (prebuilds/linux-x64).
const addon = loadAddon(packageRoot(__dirname));

export interface RawNote {
  provider: string;
  name: string;
  pc: bigint;
  base: bigint;
  semaphore: bigint;
  args: string;
}

export interface RawSegment {
  vaddr: bigint;
  offset: bigint;
  filesz: bigint;
  memsz: bigint;
  flags: number;
}

export interface RawSection {
  addr: bigint;
  offset: bigint;
  size: bigint;
}

/** A note readElf() left out, and why (see native/discovery/elf_notes.h). */
export interface RawNoteProblem {
  offset: number;
  provider?: string;
  message: string;
}

export interface RawElf {
  shared: boolean;
  /** Has PT_INTERP: an executable (PIE or not), not a library. */
  interpreter: boolean;
  machine: number;
  notes: RawNote[];
  problems: RawNoteProblem[];
  segments: RawSegment[];
  sections: Record<string, RawSection>;
  symbols: Record<string, { value: bigint; size: bigint }>;
}

/** How the BPF program fetches one argument (struct pt_arg_spec). */
export interface NativeArgSpec {
  kind: number;
  value: number;
  regOffset: number;
  indexOffset: number;
  scale: number;
  size: number;
  signed: boolean;
  string: boolean;
}

export interface NativeTarget {
  path: string;
  /** Only this process (-1: every process); default: the trace's pid. */
  pid?: number;
  offset: number;
  refCtrOffset: number;
  /** The location's address in the process's memory, where known (kernels without BPF cookies need it). */
  address?: number;
  /** event: send records; count: count calls in the kernel; anchor: raise the semaphore only. */
  program: 'event' | 'count' | 'anchor' | 'code-created';
  spec?: { type: number; args: NativeArgSpec[]; trackOnly?: boolean };
  /** For audit locations: where the tuple items' types are (relative to the location). */
  audit?: {
    strType: number;
    bytesType: number;
    longType: number;
    tupleType: number;
    none: number;
    asciiData: number;
    compactData: number;
    longTag: boolean;
    tupleItems: number;
  };
}

export interface NativeTraceOptions {
  pid: number;
  transport: 'ring' | 'perf';
  ringBytes: number;
  wakeupBytes: number;
  drainMs: number;
  minDrainGapUs: number;
  batchBytes: number;
  maxPendingBatches: number;
  dropWhenBehind: boolean;
  perfPages: number;
  within?: string;
  cacheNames?: boolean;
  /** Fill in the ids a process has in its own PID namespace. */
  nsIds?: boolean;
  /** One uprobe per location even where the kernel has uprobe_multi links. */
  singleUprobes?: boolean;
  /** Spec ids by address even where the kernel has BPF cookies (native/bpf/maps.bpf.h). */
  noCookies?: boolean;
  /** Follow the processes the pid forks (native/process/). */
  subprocesses?: boolean;
  /** Report and trace processes that exec a file given to traceFiles() (a binary's profile). */
  watchExecs?: boolean;
  /** Load the stack sampler (native/bpf/stack_sampler.bpf.h). */
  sampling?: boolean;
  /** Load the thread dump iterator (native/bpf/thread_dump.bpf.h). */
  dump?: boolean;
}

/** A name the call counts refer to, as the kernel read it (struct pt_name). */
export interface NativeCountName {
  address: number;
  bytes: Buffer;
  /** enum pt_name_flags */
  flags: number;
}

export interface NativeCallCount {
  pid: number;
  lineno: number;
  filename: NativeCountName;
  function: NativeCountName;
  count: number;
}

export interface NativeStats {
  lost: number;
  dropped: number;
  batches: number;
  links: number;
  /** How the locations are attached: one uprobe_multi link per file, or one uprobe per location. */
  linkKind: 'uprobe_multi' | 'uprobe';
}

export type NativeMessage = (kind: 'batch' | 'exit' | 'end', buffer: ArrayBuffer | undefined, records: number) => void;

export interface NativeTrace {
  attach(targets: NativeTarget[]): number;
  start(): void;
  stats(): NativeStats;
  close(): void;
  takeCallCounts(): NativeCallCount[];
  /** The files the uprobes are on (dev as the kernel numbers it): an exec into another is held. */
  traceFiles(files: { dev: number; ino: bigint }[]): void;
  /** A process held at an exec into another program goes on. */
  resume(pid: number): void;
  ref(): void;
  unref(): void;
  /** Walk this process's frames with `layout` (a struct pt_python_layout). */
  profileProcess(pid: number, layout: Buffer): void;
  /** One CPU-clock perf event per online CPU; returns the links attached. */
  attachSampling(hz: number): number;
  /** By enum pt_sample_counter, summed over CPUs (kept after close). */
  sampleCounters(): number[];
  /** Every thread of a profiled process walked now: struct pt_sample records. */
  dumpThreads(pid: number): Buffer;
}

/** A record's size and its fields' byte offsets, by their C names. */
export interface RecordLayout<F extends string> {
  size: number;
  offsets: Record<F, number>;
}

/** native/bpf/usdt_event.h, as the addon was compiled with it (native/layout.cc). */
export interface NativeLayout {
  event: RecordLayout<
    | 'size'
    | 'type'
    | 'string_mask'
    | 'pid'
    | 'tid'
    | 'unread_mask'
    | 'truncated_mask'
    | 'str_len'
    | 'ts'
    | 'arg'
    | 'ns_pid'
    | 'ns_tid'
  >;
  auditItem: RecordLayout<'kind' | 'flags' | 'len' | 'count'>;
  eventType: Record<
    | 'PT_EV_FUNCTION_ENTRY'
    | 'PT_EV_FUNCTION_RETURN'
    | 'PT_EV_LINE'
    | 'PT_EV_GC_START'
    | 'PT_EV_GC_DONE'
    | 'PT_EV_IMPORT_START'
    | 'PT_EV_IMPORT_DONE'
    | 'PT_EV_AUDIT'
    | 'PT_EV_GENERATOR_CREATED'
    | 'PT_EV_FORK'
    | 'PT_EV_EXEC'
    | 'PT_EV_EXIT'
    | 'PT_EV_STACK_SAMPLE',
    number
  >;
  forkFlags: Record<'PT_FORK_FOLLOWED' | 'PT_FORK_HELD', number>;
  execFlags: Record<
    'PT_EXEC_NEW_MAIN_THREAD' | 'PT_EXEC_HELD' | 'PT_EXEC_OTHER_PROGRAM' | 'PT_EXEC_NEW_PROCESS',
    number
  >;
  argKind: Record<
    'PT_ARG_NONE' | 'PT_ARG_CONST' | 'PT_ARG_REG' | 'PT_ARG_REG_DEREF' | 'PT_ARG_SIB_DEREF' | 'PT_ARG_IP_DEREF',
    number
  >;
  auditKind: Record<
    | 'PT_AUDIT_OTHER'
    | 'PT_AUDIT_STR'
    | 'PT_AUDIT_BYTES_VALUE'
    | 'PT_AUDIT_INT'
    | 'PT_AUDIT_NONE'
    | 'PT_AUDIT_UNREADABLE'
    | 'PT_AUDIT_STR_LATIN1'
    | 'PT_AUDIT_STR_UCS2'
    | 'PT_AUDIT_STR_UCS4'
    | 'PT_AUDIT_TUPLE',
    number
  >;
  auditFlags: Record<'PT_AUDIT_CUT' | 'PT_AUDIT_NEGATIVE', number>;
  nameFlags: Record<'PT_NAME_TRUNCATED' | 'PT_NAME_UNREAD', number>;
  limits: Record<
    | 'PT_MAX_ARGS'
    | 'PT_MAX_SPECS'
    | 'PT_NAME_MAX'
    | 'PT_WITHIN_MAX'
    | 'PT_AUDIT_ITEMS'
    | 'PT_AUDIT_NESTED'
    | 'PT_AUDIT_BYTES'
    | 'PT_AUDIT_INT_DIGITS',
    number
  >;
  /** Offsets in the user-visible struct pt_regs, by the register's full name. */
  registers: { x86_64: Record<string, number>; aarch64: Record<string, number> };
  /** Stack sampling (native/bpf/python_layout.h). */
  sampling: {
    sample: RecordLayout<'size' | 'type' | 'flags' | 'pid' | 'tid' | 'depth' | 'status' | 'ts' | 'ns_pid' | 'ns_tid'>;
    frame: RecordLayout<'code' | 'offset' | 'identity'>;
    pythonLayout: RecordLayout<
      | 'runtime'
      | 'code_type'
      | 'interpreters_head'
      | 'interp_next'
      | 'interp_threads_head'
      | 'thread_next'
      | 'thread_id'
      | 'thread_native_id'
      | 'thread_frame'
      | 'cframe_current_frame'
      | 'frame_previous'
      | 'frame_code'
      | 'frame_instruction'
      | 'frame_owner'
      | 'code_units'
      | 'object_type'
      | 'instruction_kind'
      | 'code_tag_bits'
      | 'not_python_owner'
      | 'match_fsbase'
      | 'datastack_chunk'
      | 'datastack_top'
      | 'chunk_previous'
      | 'chunk_top'
      | 'chunk_data'
      | 'code_nlocalsplus'
      | 'code_stacksize'
      | 'frame_specials_words'
      | 'code_filename'
      | 'code_name'
      | 'code_firstlineno'
      | 'unicode_length'
      | 'frame_window_start'
      | 'frame_window_len'
    >;
    values: Record<
      | 'PT_STACK_MAX'
      | 'PT_OFFSET_NONE'
      | 'PT_CODE_WINDOW'
      | 'PT_FRAME_WINDOW'
      | 'PT_INSTR_LASTI_BYTES'
      | 'PT_INSTR_LASTI_UNITS'
      | 'PT_INSTR_POINTER'
      | 'PT_SAMPLE_CUT'
      | 'PT_SAMPLE_ON_CPU'
      | 'PT_SAMPLES_TAKEN'
      | 'PT_SAMPLES_SENT'
      | 'PT_SAMPLES_LOST'
      | 'PT_UNWIND_NO_THREAD'
      | 'PT_UNWIND_READ_FAULT'
      | 'PT_UNWIND_NOT_CODE'
      | 'PT_UNWIND_EMPTY'
      | 'PT_UNWIND_CUT'
      | 'PT_UNWIND_STALE_FRAME'
      | 'PT_SAMPLE_COUNT_MAX',
      number
    >;
  };
}

export const layout: NativeLayout = addon.layout;
export const readElf: (path: string, symbols?: string[]) => RawElf = addon.readElf;
export const kernelHasRingBuffer: () => boolean = addon.kernelHasRingBuffer;
/**
 * What a listener throws while a batch is delivered becomes an uncaught
 * exception, as from any emitter. Thrown back into the addon instead, Node-API's
 * default policy would only print a deprecation warning and go on.
 */
function throwsUncaught(onMessage: NativeMessage): NativeMessage {
  return (kind, buffer, records) => {
    try {
      onMessage(kind, buffer, records);
    } catch (e) {
      process.nextTick(() => {
        throw e;
      });
    }
  };
}

const AddonTrace: new (options: NativeTraceOptions, onMessage: NativeMessage) => NativeTrace = addon.NativeTrace;
/** PYTRACE_NO_BPF_COOKIES=1: the path of kernels without BPF cookies (before 5.15), on any kernel. */
export const NativeTrace = function (options: NativeTraceOptions, onMessage: NativeMessage): NativeTrace {
  return new AddonTrace(
    { noCookies: process.env.PYTRACE_NO_BPF_COOKIES === '1', ...options },
    throwsUncaught(onMessage),
  );
} as unknown as new (options: NativeTraceOptions, onMessage: NativeMessage) => NativeTrace;
