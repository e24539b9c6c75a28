/** The compiled addon, typed. Only this file knows its shape. */
// eslint-disable-next-line @typescript-eslint/no-var-requires
const addon = require('bindings')('pytrace');

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

export interface RawElf {
  shared: boolean;
  machine: number;
  notes: RawNote[];
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
  /** event: send records; count: count calls in the kernel; anchor: raise the semaphore only. */
  program: 'event' | 'count' | 'anchor' | 'code-created';
  spec?: { type: number; args: NativeArgSpec[]; trackOnly?: boolean };
  /** For audit locations: where the tuple items' types are (relative to the location). */
  audit?: { strType: number; bytesType: number; longType: number; none: number; asciiData: number; longTag: boolean };
}

export interface NativeTraceOptions {
  pid: number;
  transport: 'ring' | 'perf';
  ringBytes: number;
  wakeupBytes: number;
  drainMs: number;
  minDrainGapUs?: number;
  batchBytes: number;
  maxPendingBatches: number;
  dropWhenBehind: boolean;
  perfPages: number;
  within?: string;
  cacheNames?: boolean;
  /** Fill in the ids a process has in its own PID namespace. */
  nsIds?: boolean;
  /** Follow the processes the pid forks (native/process/). */
  subprocesses?: boolean;
}

export interface NativeCallCount {
  pid: number;
  lineno: number;
  filename: string;
  function: string;
  count: number;
}

export interface NativeStats {
  lost: number;
  dropped: number;
  batches: number;
  links: number;
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
}

export const readElf: (path: string, symbols?: string[]) => RawElf = addon.readElf;
export const kernelHasRingBuffer: () => boolean = addon.kernelHasRingBuffer;
export const NativeTrace: new (options: NativeTraceOptions, onMessage: NativeMessage) => NativeTrace =
  addon.NativeTrace;
