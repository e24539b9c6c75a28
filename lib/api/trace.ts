/** The EventEmitter API: attach(pid) resolves to a Trace that emits the markers' events. */
import { EventEmitter } from 'events';
import { BatchDecoder } from '../stream/decode';
import { assertTraceable, describeBinary, describeProcess, Description } from '../discovery/describe';
import { fromNative, PytraceError } from '../errors';
import { CallPairing } from '../stream/calls';
import { CreationReturns, entryAtCreation, generatorCreationTarget } from '../planning/generators';
import { EVENT_NAMES, EventName, markerOf, TraceEvent } from '../markers';
import { kernelHasRingBuffer, NativeTarget, NativeTrace } from '../native';
import { effectiveCapabilities, resolveProcess } from '../discovery/proc';
import { auditLayout, codeCreationTarget, semaphoreAnchor, uprobeTarget } from '../planning/spec';
import { isDefaultEvent, resolveOptions } from './options';
import { TraceEventName, TraceListener } from './trace-events';

export interface AttachOptions {
  /** Markers to trace; default: every one that fires in this build except `line` (see lib/api/options.ts: defaults and allowed values). */
  events?: EventName[];
  /** 'auto' (default) uses the BPF ring buffer where the kernel has it, else the perf buffer. */
  transport?: 'auto' | 'ring' | 'perf';
  /** Ring buffer size in bytes (power of two). Default 16 MiB. */
  ringBytes?: number;
  /** Wake the reader once this many bytes are pending (perf: on one CPU, at most half its buffer). Default 64 KiB; 0: every record. */
  wakeupBytes?: number;
  /** The reader also drains every this many ms. Default 5. */
  drainMs?: number;
  /** The reader drains at most once per this many microseconds. Default 250. */
  minDrainGapUs?: number;
  /** Records per hand-over to JS, in bytes. Default 256 KiB. */
  batchBytes?: number;
  /** Batches waiting for JS before backpressure applies. Default 16. */
  maxPendingBatches?: number;
  /** When JS falls behind: 'pause' the reader (the ring then refuses, counted) or 'drop' batches (counted). */
  onBackpressure?: 'pause' | 'drop';
  /** Per-CPU perf buffer pages (a power of two), for the perf transport. Default: the ring's size shared among the CPUs, at least 64. */
  perfPages?: number;
  /**
   * Per thread, only events from the entry of the function with this name to
   * its matching return (recursion counted), decided in the kernel.
   */
  within?: string;
  /**
   * With function-entry and function-return both traced: give each return
   * its call's durationNs and selfNs (entries paired per thread in JS).
   * Default true; false saves that step (measured: about 60 ns per event).
   */
  durations?: boolean;
}

export interface TraceStats {
  /** Events delivered to JS. */
  events: number;
  /** Events the kernel or the reader could not keep (never silent: see the 'lost' event). */
  lost: number;
  batches: number;
  transport: 'ring' | 'perf';
  /** How the locations are attached: one uprobe_multi link per file (Linux 6.6+), or one uprobe per location. */
  linkKind: 'uprobe_multi' | 'uprobe';
}

const CAP_SYS_ADMIN = 21n;
const CAP_PERFMON = 38n;
const CAP_BPF = 39n;

export function assertPrivileged(): void {
  const caps = effectiveCapabilities();
  const has = (c: bigint) => (caps >> c) & 1n;
  if (has(CAP_SYS_ADMIN) || (has(CAP_BPF) && has(CAP_PERFMON))) return;
  throw new PytraceError(
    'PYTRACE_PERMISSION',
    'Tracing needs root, or the capabilities CAP_BPF and CAP_PERFMON (plus CAP_SYS_PTRACE to read another user\'s process): run with sudo, or grant them (setcap cap_bpf,cap_perfmon,cap_sys_ptrace+ep on node).',
  );
}

/** Typed listeners: each event name gives its listener's argument types. */
export interface Trace {
  on<K extends TraceEventName>(event: K, listener: TraceListener<K>): this;
  once<K extends TraceEventName>(event: K, listener: TraceListener<K>): this;
  off<K extends TraceEventName>(event: K, listener: TraceListener<K>): this;
  addListener<K extends TraceEventName>(event: K, listener: TraceListener<K>): this;
  removeListener<K extends TraceEventName>(event: K, listener: TraceListener<K>): this;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Trace extends EventEmitter {
  readonly pid: number;
  readonly events: readonly EventName[];
  readonly description: Description;
  readonly transport: 'ring' | 'perf';
  private native: NativeTrace | null;
  private decoder = new BatchDecoder();
  private delivered = 0;
  private undecodable = 0;
  private reportedLost = 0;
  private finalStats?: TraceStats;
  private ended: Promise<void>;
  private endResolve!: () => void;
  private detaching?: Promise<void>;
  /** @internal Set when the build fires an entry, and no return, at generator creation. */
  creations?: CreationReturns;
  /** @internal Entries paired with returns, for their durations: when both are traced (null: the option is off). */
  calls: CallPairing | null;

  /** Use attach(). */
  constructor(pid: number, events: EventName[], description: Description, transport: 'ring' | 'perf', native: NativeTrace) {
    super();
    this.pid = pid;
    this.events = events;
    this.description = description;
    this.transport = transport;
    this.native = native;
    this.calls = events.includes('function-entry') && events.includes('function-return') ? new CallPairing() : null;
    this.ended = new Promise((resolve) => (this.endResolve = resolve));
  }

  /** @internal */
  onMessage(kind: 'batch' | 'exit' | 'end', buffer: ArrayBuffer | undefined, records: number): void {
    if (kind === 'batch' && buffer) {
      if (this.listenerCount('batch')) this.emit('batch', buffer, records);
      const all = this.listenerCount('event') > 0;
      let emitted = 0;
      const calls = this.calls;
      const emit = (ev: TraceEvent) => {
        if (calls) timeCall(calls, ev);
        this.emit(ev.type, ev);
        if (all) this.emit('event', ev);
        emitted++;
      };
      const decoded = this.decoder.decode(buffer, (rec) => {
        if (rec.type === 'generator-created') {
          const ret = this.creations?.returnFor(rec);
          if (ret) emit(ret);
          return;
        }
        const ev = rec;
        if (this.creations && (ev.type === 'function-entry' || ev.type === 'function-return')) this.creations.see(ev);
        emit(ev);
      });
      this.delivered += emitted;
      // A record the decoder cannot read ends its batch: what follows is lost, and said so.
      this.undecodable += records - decoded;
      this.reportLoss();
    } else if (kind === 'exit') {
      this.decoder.forget(this.pid);
      this.creations?.forget();
      this.calls?.reset();
      this.emit('exit', { pid: this.pid });
      void this.detach();
    } else if (kind === 'end') {
      this.endResolve();
    }
  }

  private reportLoss(): void {
    const lost = (this.native ? this.native.stats().lost : 0) + this.undecodable;
    if (lost > this.reportedLost) {
      this.emit('lost', { count: lost - this.reportedLost, total: lost });
      this.reportedLost = lost;
    }
  }

  stats(): TraceStats {
    if (this.finalStats) return { ...this.finalStats };
    const s = this.native!.stats();
    return { events: this.delivered, lost: s.lost + this.undecodable, batches: s.batches, transport: this.transport, linkKind: s.linkKind };
  }

  /** Resolves once every uprobe is gone, semaphores are lowered, the reader is joined and every event delivered. */
  detach(): Promise<void> {
    if (!this.detaching) {
      this.detaching = (async () => {
        const native = this.native!;
        native.close();
        await this.ended;
        // Losses after the last batch are reported here, before 'close'.
        this.reportLoss();
        const final = native.stats();
        this.finalStats = { events: this.delivered, lost: final.lost + this.undecodable, batches: final.batches, transport: this.transport, linkKind: final.linkKind };
        this.native = null;
        this.emit('close');
      })();
    }
    return this.detaching;
  }

  /**
   * The raw batches (records as native/bpf/usdt_event.h lays them out), for
   * consumers that decode themselves; ends when the trace closes. Listening
   * starts at the call: take it right after attach().
   */
  batches(): AsyncIterableIterator<{ buffer: ArrayBuffer; records: number }> {
    const queue: { buffer: ArrayBuffer; records: number }[] = [];
    let wake: (() => void) | undefined;
    let closed = this.closed;
    const onBatch = (buffer: ArrayBuffer, records: number) => {
      queue.push({ buffer, records });
      wake?.();
    };
    const onClose = () => {
      closed = true;
      wake?.();
    };
    // Listening starts now, not at the first next(): no batch in between is missed.
    this.on('batch', onBatch);
    this.once('close', onClose);
    const self = this;
    return (async function* () {
      try {
        for (;;) {
          while (queue.length) yield queue.shift()!;
          if (closed) return;
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
      } finally {
        self.off('batch', onBatch);
        self.off('close', onClose);
      }
    })();
  }

  get closed(): boolean {
    return this.native === null;
  }

  /** An open trace keeps Node running unless unref()'d. */
  ref(): this {
    this.native?.ref();
    return this;
  }

  unref(): this {
    this.native?.unref();
    return this;
  }
}

/** Gives a return its call's durations (null fields when its entry was not seen). */
function timeCall(calls: CallPairing, ev: TraceEvent): void {
  if (ev.type === 'function-entry') calls.enter(ev);
  else if (ev.type === 'function-return') {
    const call = calls.leave(ev);
    ev.durationNs = call ? call.durationNs : null;
    ev.selfNs = call ? call.selfNs : null;
  }
}

function chooseEvents(d: Description, requested?: EventName[]): EventName[] {
  if (!requested) return EVENT_NAMES.filter((e) => d.events[e].fires && isDefaultEvent(e));
  for (const e of requested) {
    if (!EVENT_NAMES.includes(e))
      throw new PytraceError('PYTRACE_UNKNOWN_EVENT', `Unknown event "${e}". Events: ${EVENT_NAMES.join(', ')}.`);
    if (!d.events[e].available)
      throw new PytraceError(
        'PYTRACE_MARKER_UNAVAILABLE',
        `${e} cannot be traced in ${d.pid === null ? d.executable : 'process ' + d.pid} (Python ${d.version ?? 'of unknown version'}): ${d.events[e].note} Ask for other events, or run a build that has it.`,
      );
  }
  return [...new Set(requested)];
}

/**
 * The uprobes for `events`. With `within`, entries and returns are attached
 * even if not asked for: the kernel needs them to know when a thread is inside
 * the function (they are then tracked, not sent).
 */
export function targetsFor(d: Description, events: EventName[], within?: string, program: 'event' | 'count' = 'event'): NativeTarget[] {
  const targets: NativeTarget[] = [];
  const attached = new Set<EventName>(events);
  if (within) for (const e of ['function-entry', 'function-return'] as const) attached.add(e);
  for (const e of attached) {
    const marker = markerOf(e);
    for (const loc of d.locations.filter((l) => l.name === marker.marker)) {
      const t = uprobeTarget(loc, marker);
      t.program = program;
      if (!events.includes(e)) t.spec!.trackOnly = true;
      if (e === 'audit') t.audit = auditLayout(loc, d.version);
      targets.push(t);
    }
  }
  // 3.11: entries fire only while the line semaphore is up; raise it without tracing lines.
  if (d.version === '3.11' && attached.has('function-entry') && !attached.has('line')) {
    for (const loc of d.locations.filter((l) => l.name === 'line')) targets.push(semaphoreAnchor(loc));
  }
  return targets;
}

/** A process, or a binary: every process running it (now or later), or only `pid`. */
export type AttachTarget = number | { binary: string; pid?: number };

/**
 * Attaches to every location of the selected markers. Resolves once all are
 * attached: nothing the target does after that is missed.
 */
export async function attach(target: AttachTarget, options: AttachOptions = {}): Promise<Trace> {
  const opts = resolveOptions(options);
  const pid = typeof target === 'number' ? target : target.pid ?? -1;
  // /proc is read here, once: everything below works from this value.
  const proc = pid !== -1 ? resolveProcess(pid) : null;
  assertPrivileged();
  const description = assertTraceable(proc && typeof target === 'number' ? describeProcess(proc) : describeBinary((target as { binary: string }).binary));
  const events = chooseEvents(description, options.events);
  if (options.within !== undefined && !(description.events['function-entry'].available && description.events['function-return'].available))
    throw new PytraceError('PYTRACE_MARKER_UNAVAILABLE', `"within" needs the function__entry and function__return markers, which this build lacks: ${description.events['function-entry'].note}`);
  const targets = targetsFor(description, events, options.within);
  const transport = options.transport === 'ring' || options.transport === 'perf' ? options.transport : kernelHasRingBuffer() ? 'ring' : 'perf';
  if (transport === 'ring' && !kernelHasRingBuffer())
    throw new PytraceError('PYTRACE_KERNEL_UNSUPPORTED', 'This kernel has no BPF ring buffer (Linux 5.8): use transport "perf" or "auto".');
  // Frame names are sent once and then by address, where the kernel can tell
  // a reused address (code creations); both transports keep records in order.
  const frames = options.within !== undefined || events.some((e) => e === 'function-entry' || e === 'function-return' || e === 'line');
  const frameLoc = frames && description.locations.find((l) => /^(function__entry|function__return|line)$/.test(l.name));
  const codeCreated = frameLoc ? codeCreationTarget(frameLoc) : null;
  if (codeCreated) targets.unshift(codeCreated);
  const pairs = events.includes('function-entry') && events.includes('function-return');
  const creation = pairs && frameLoc && entryAtCreation(description.version) ? generatorCreationTarget(frameLoc) : null;
  if (creation) targets.push(creation);

  let trace: Trace | undefined;
  let native: NativeTrace;
  try {
    native = new NativeTrace(
      {
        pid,
        transport,
        ringBytes: opts.ringBytes,
        wakeupBytes: opts.wakeupBytes,
        drainMs: opts.drainMs,
        minDrainGapUs: opts.minDrainGapUs,
        batchBytes: opts.batchBytes,
        maxPendingBatches: opts.maxPendingBatches,
        dropWhenBehind: opts.onBackpressure === 'drop',
        perfPages: opts.perfPages,
        within: options.within,
        cacheNames: codeCreated !== null && codeCreated !== undefined,
        // A process in another PID namespace knows itself by other numbers; any process may be (pid -1).
        nsIds: proc ? proc.otherPidNamespace : true,
        singleUprobes: process.env.PYTRACE_UPROBE_MULTI === '0',
      },
      // A constructor that fails after making its JS channel still sends 'end': no trace then.
      (kind, buffer, records) => trace?.onMessage(kind, buffer, records),
    );
  } catch (e) {
    throw fromNative(e);
  }
  trace = new Trace(pid, events, description, transport, native);
  if (creation) trace.creations = new CreationReturns();
  if (!opts.durations) trace.calls = null;
  try {
    native.attach(targets);
  } catch (e) {
    native.close();
    throw fromNative(e);
  }
  native.start();
  return trace;
}
