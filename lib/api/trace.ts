/** The EventEmitter API: attach(pid) resolves to a Trace that emits the markers' events. */
import { EventEmitter } from 'events';
import { BatchDecoder } from '../stream/decode';
import { fromNative, PytraceError } from '../errors';
import { CreationReturns } from '../planning/generators';
import { chooseEvents, traceTargets } from '../planning/targets';
import { EventName, TraceEvent } from '../markers';
import { kernelHasRingBuffer, NativeTrace } from '../native';
import { describeExecd, ExitEvent, fileIds, ProcessRecord, TracedProcesses } from './processes';
import { assertTraceable, describeBinary, describeProcess, Description } from '../discovery/describe';
import { placeInProcess } from '../planning/addresses';
import { CallPairing } from '../stream/calls';
import { effectiveCapabilities, resolveProcess } from '../discovery/proc';
import { resolveOptions } from './options';
import { TraceListeners } from './trace-events';
import { untilClose } from './until-close';

import type { AttachOptions } from './options';
export type { AttachOptions } from './options';

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
    "Tracing needs root, or the capabilities CAP_BPF and CAP_PERFMON (plus CAP_SYS_PTRACE to read another user's process): run with sudo, or grant them (setcap cap_bpf,cap_perfmon,cap_sys_ptrace+ep on node).",
  );
}

/** Typed listeners: each event name gives its listener's argument types (TraceListeners). */
export class Trace extends EventEmitter<TraceListeners> {
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
  /** @internal The processes a trace of a PID follows. */
  processes?: TracedProcesses;
  /** @internal Entries paired with returns, for their durations: when both are traced (null: the option is off). */
  calls: CallPairing | null;

  /** Use attach(). */
  constructor(
    pid: number,
    events: EventName[],
    description: Description,
    transport: 'ring' | 'perf',
    native: NativeTrace,
  ) {
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
      // Each event goes out under its own type's name, which TypeScript cannot pair with the union here.
      const untyped = this as unknown as EventEmitter;
      const calls = this.calls;
      const emit = (ev: TraceEvent) => {
        if (calls) timeCall(calls, ev);
        untyped.emit(ev.type, ev);
        if (all) this.emit('event', ev);
        emitted++;
      };
      let allEnded = false;
      const decoded = this.decoder.decode(buffer, (rec) => {
        if (rec.type === 'fork' || rec.type === 'exec' || rec.type === 'exit') {
          allEnded = this.processChanged(rec) || allEnded;
          return;
        }
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
      // A record of a type the decoder does not know is skipped, and one it cannot
      // read ends its batch: both are lost, and said so.
      this.undecodable += records - decoded;
      this.reportLoss();
      if (allEnded) void this.detach();
    } else if (kind === 'exit') {
      // The traced process is gone (its pidfd): its own exit record came first, unless lost.
      if (this.endProcess({ type: 'exit', pid: this.pid, reason: 'exit' }) || !this.processes?.count)
        void this.detach();
    } else if (kind === 'end') {
      this.endResolve();
    }
  }

  /** Returns true when no traced process is left. */
  private processChanged(rec: ProcessRecord): boolean {
    if (rec.type === 'fork') {
      this.processes?.forked(rec);
      this.emit('fork', rec);
      return false;
    }
    if (rec.type === 'exit') {
      if (this.processes?.hasEnded(rec.pid)) return false;
      this.forgetProcess(rec.pid);
      return this.endProcess(rec);
    }
    const { pid, tid, ts, executable, held } = rec;
    try {
      if (this.processes?.hasEnded(pid)) return false;
      this.forgetProcess(pid);
      this.emit('exec', { type: 'exec', pid, tid, ts, executable });
      const outcome = this.processes?.execd(rec);
      if (!outcome || outcome.traced) return false;
      return this.endProcess({ type: 'exit', pid, tid, ts, reason: 'exec', executable, message: outcome.message });
    } finally {
      // The kernel stopped it before the new program's first instruction.
      if (held) this.native?.resume(pid);
    }
  }

  /** Same pid, new program, or gone: what was known of it is void. */
  private forgetProcess(pid: number): void {
    this.decoder.forget(pid);
    this.creations?.forgetProcess(pid);
    this.calls?.resetProcess(pid);
  }

  /** Emits a process's `exit` once; true when it was the last traced one. */
  private endProcess(ev: ExitEvent): boolean {
    if (this.processes && !this.processes.end(ev.pid)) return false;
    this.emit('exit', ev);
    return !this.processes || this.processes.count === 0;
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
    return {
      events: this.delivered,
      lost: s.lost + this.undecodable,
      batches: s.batches,
      transport: this.transport,
      linkKind: s.linkKind,
    };
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
        this.finalStats = {
          events: this.delivered,
          lost: final.lost + this.undecodable,
          batches: final.batches,
          transport: this.transport,
          linkKind: final.linkKind,
        };
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
    return untilClose(
      this as unknown as EventEmitter,
      'batch',
      this.closed,
      (buffer: ArrayBuffer, records: number) => ({
        buffer,
        records,
      }),
    );
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

/** A process, or a binary: every process running it (now or later), or only `pid`. */
export type AttachTarget = number | { binary: string; pid?: number };

/**
 * Attaches to every location of the selected markers. Resolves once all are
 * attached: nothing the target does after that is missed.
 */
export async function attach(target: AttachTarget, options: AttachOptions = {}): Promise<Trace> {
  const opts = resolveOptions(options);
  const pid = typeof target === 'number' ? target : (target.pid ?? -1);
  // /proc is read here, once: everything below works from this value.
  const proc = pid !== -1 ? resolveProcess(pid) : null;
  assertPrivileged();
  const description = assertTraceable(
    proc && typeof target === 'number' ? describeProcess(proc) : describeBinary((target as { binary: string }).binary),
  );
  const events = chooseEvents(description, options.events);
  if (
    options.within !== undefined &&
    !(description.events['function-entry'].available && description.events['function-return'].available)
  )
    throw new PytraceError(
      'PYTRACE_MARKER_UNAVAILABLE',
      `"within" needs the function__entry and function__return markers, which this build lacks: ${description.events['function-entry'].note}`,
    );
  const transport =
    options.transport === 'ring' || options.transport === 'perf'
      ? options.transport
      : kernelHasRingBuffer()
        ? 'ring'
        : 'perf';
  if (transport === 'ring' && !kernelHasRingBuffer())
    throw new PytraceError(
      'PYTRACE_KERNEL_UNSUPPORTED',
      'This kernel has no BPF ring buffer (Linux 5.8): use transport "perf" or "auto".',
    );
  const { targets, codeCreated, creation } = traceTargets(description, events, options.within);

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
        subprocesses: options.subprocesses === true && pid > 0,
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
  if (pid > 0) {
    // A process that exec'd another Python: its uprobes are on the old program's files.
    const attachAfterExec = (p: number, program: string): string[] => {
      const d = describeExecd(program);
      const evs = events.filter((e) => d.events[e].available);
      const again = traceTargets(d, evs, options.within);
      if (!evs.length || (codeCreated && !again.codeCreated) || (creation && !again.creation))
        throw new PytraceError(
          'PYTRACE_MARKER_UNAVAILABLE',
          `Process ${p} now runs ${program}, which lacks markers this trace needs.`,
        );
      for (const t of again.targets) t.pid = p;
      placeInProcess(again.targets, p);
      native.attach(again.targets);
      const paths = again.targets.map((t) => t.path);
      native.traceFiles(fileIds(paths));
      return paths;
    };
    trace.processes = new TracedProcesses(
      pid,
      targets.map((t) => t.path),
      attachAfterExec,
    );
    native.traceFiles(fileIds(targets.map((t) => t.path)));
  }
  if (!opts.durations) trace.calls = null;
  placeInProcess(targets, pid);
  try {
    native.attach(targets);
  } catch (e) {
    native.close();
    throw fromNative(e);
  }
  native.start();
  return trace;
}
