/**
 * profile(target): stack samples of a CPython process, walked in the kernel
 * (native/bpf/stack_sampler.bpf.h) on every CPU `hz` times a second while
 * one of its threads runs, delivered through the same ring buffer, poll
 * thread and batches as the marker events, symbolized here.
 */
import { EventEmitter } from 'events';
import * as fs from 'fs';
import { fromNative, PytraceError } from '../errors';
import { kernelHasRingBuffer, layout, NativeTrace } from '../native';
import { StackProfile } from '../profile/stacks';
import { kernelLayout } from '../sampling/kernel-layout';
import { findRuntime } from '../sampling/runtime';
import { SampleSymbols, SymbolizedFrame } from '../sampling/sample-symbols';
import { IdleSampler } from './profile-idle';
import { isCommandTarget, ProfiledCommand, profileCommand } from './profile-command';
import { assertInterpreterFile, processesOfBinary, startingFiles } from './profile-binary';
import { ProfiledProcesses } from './profile-processes';
import { BatchDecoder } from '../stream/decode';
import { untilClose } from './until-close';
import { RawSample } from '../stream/samples';
import { DEFAULTS, perfPagesFor } from './options';
import { ProfileOptions, resolveProfileOptions, ResolvedProfileOptions } from './profile-options';
import { assertPrivileged } from './trace';
import { ProfileListeners, ProfileStats, ProfileTarget, SampleEvent, SampleFrame } from './profile-types';

export type { ProfileOptions } from './profile-options';
export type { CommandTarget, ProfiledCommand } from './profile-command';

export type {
  ProfileExit,
  ProfileListeners,
  ProfileStats,
  ProfileTarget,
  SampleEvent,
  SampleFrame,
} from './profile-types';

const V = layout.sampling.values;

export class Profile extends EventEmitter<ProfileListeners> {
  /** The target process; -1 for every process of a binary. */
  readonly pid: number;
  readonly hz: number;
  readonly transport: 'ring' | 'perf';
  /** A { command } target's process, and its exit status once it ends. */
  command?: ProfiledCommand;
  private native: NativeTrace | null;
  private decoder = new BatchDecoder();
  private processes: ProfiledProcesses;
  private profile: StackProfile;
  private threadNames = new Map<number, string | undefined>();
  private delivered = 0;
  private filtered = 0;
  private undecodable = 0;
  private reportedLost = 0;
  private counters: number[] = new Array(V.PT_SAMPLE_COUNT_MAX).fill(0);
  private nativeLost = 0;
  private ended: Promise<void>;
  private endResolve!: () => void;
  private closing?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private idle?: IdleSampler;

  /** Use profile(). */
  constructor(
    pid: number,
    private options: ResolvedProfileOptions,
    transport: 'ring' | 'perf',
    symbols: SampleSymbols | null,
    native: NativeTrace,
  ) {
    super();
    this.pid = pid;
    this.hz = options.hz;
    this.transport = transport;
    this.processes = new ProfiledProcesses(pid, symbols, () => this.native);
    this.native = native;
    this.profile = new StackProfile({ type: 'samples', unit: 'count' }, 1e9 / options.hz);
    this.ended = new Promise((resolve) => (this.endResolve = resolve));
    if (options.idle)
      this.idle = new IdleSampler(
        options.hz,
        () => this.native,
        () => this.processes.pids,
        (s) => this.deliver(s, true),
      );
    if (options.duration !== undefined) {
      this.timer = setTimeout(() => void this.close(), options.duration * 1000);
      this.timer.unref();
    }
  }

  /** @internal A process of the profiled binary. */
  addProcess(pid: number): void {
    this.processes.addOfBinary(pid);
  }

  /** @internal */
  onMessage(kind: 'batch' | 'exit' | 'end', buffer: ArrayBuffer | undefined, records: number): void {
    if (kind === 'batch' && buffer) {
      const raw: RawSample[] = [];
      const decoded = this.decoder.decode(
        buffer,
        (rec) => {
          if (rec.type === 'fork' || rec.type === 'exec' || rec.type === 'exit') this.processes.changed(rec);
        },
        (s) => raw.push(s),
      );
      this.undecodable += records - decoded;
      for (const s of raw) this.deliver(s);
      this.reportLoss();
    } else if (kind === 'exit') {
      this.emit('exit', { pid: this.pid });
      void this.close();
    } else if (kind === 'end') {
      this.endResolve();
    }
  }

  private deliver(s: RawSample, offCpu = false): void {
    if (this.options.threads && !this.options.threads.has(s.tid)) {
      this.filtered++;
      return;
    }
    let truncated = s.cut;
    const symbols = this.processes.symbolsOf(s.pid);
    if (!symbols) return; // a binary's process, no longer profiled
    const frames: SampleFrame[] = s.frames.map((f) => {
      const sym: SymbolizedFrame = symbols.frame(f);
      if (sym.truncated) truncated = true;
      return { function: sym.function, filename: sym.filename, lineno: sym.lineno, code: sym.code };
    });
    const event: SampleEvent = { pid: s.pid, tid: s.tid, ts: s.ts, frames };
    if (s.nsPid !== undefined) {
      event.nsPid = s.nsPid;
      event.nsTid = s.nsTid;
    }
    if (truncated) event.truncated = true;
    if (offCpu) event.offCpu = true;
    this.profile.add(
      { pid: s.pid, tid: s.tid, name: this.threadName(s.pid, s.tid) },
      frames.map((f) => ({ function: f.function, filename: f.filename, lineno: f.lineno ?? 0 })).reverse(),
      1,
    );
    this.delivered++;
    this.emit('sample', event);
  }

  /** The kernel's name of the thread (its comm), read once. */
  private threadName(pid: number, tid: number): string | undefined {
    if (!this.threadNames.has(tid)) {
      let name: string | undefined;
      try {
        name = fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').replace(/\n$/, '');
      } catch {
        name = undefined; // the thread has ended
      }
      this.threadNames.set(tid, name);
    }
    return this.threadNames.get(tid);
  }

  private readCounters(): void {
    if (!this.native) return;
    this.counters = this.native.sampleCounters();
    const s = this.native.stats();
    this.nativeLost = s.dropped;
  }

  private reportLoss(): void {
    this.readCounters();
    const lost = this.lost();
    if (lost > this.reportedLost) {
      this.emit('lost', { count: lost - this.reportedLost, total: lost });
      this.reportedLost = lost;
    }
  }

  private lost(): number {
    return this.counters[V.PT_SAMPLES_LOST] + this.nativeLost + this.undecodable;
  }

  stats(): ProfileStats {
    this.readCounters();
    const c = this.counters;
    return {
      taken: c[V.PT_SAMPLES_TAKEN],
      delivered: this.delivered,
      lost: this.lost(),
      filtered: this.filtered,
      unwindFailures: {
        noThreadState: c[V.PT_UNWIND_NO_THREAD],
        readFault: c[V.PT_UNWIND_READ_FAULT],
        notCode: c[V.PT_UNWIND_NOT_CODE],
        noFrames: c[V.PT_UNWIND_EMPTY],
        staleFrame: c[V.PT_UNWIND_STALE_FRAME],
      },
      cut: c[V.PT_UNWIND_CUT],
      offCpu: this.idle?.taken ?? 0,
      unsymbolized: [...this.processes.all].reduce((n, sym) => n + sym.unreadable, 0),
      transport: this.transport,
      processes: this.processes.joined + (this.pid > 0 ? 1 : 0),
    };
  }

  /** Every sample so far, as weighted stacks per thread (frames outermost first). */
  stacks(): StackProfile {
    return this.profile;
  }

  /** Stops sampling; resolves once every sample taken is delivered ('close' is emitted). */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = (async () => {
        if (this.timer) clearTimeout(this.timer);
        this.idle?.stop();
        const native = this.native!;
        native.close();
        await this.ended;
        this.readCounters();
        this.reportLoss();
        this.native = null;
        this.processes.close();
        this.emit('close');
      })();
    }
    return this.closing;
  }

  get closed(): boolean {
    return this.native === null;
  }

  /** The samples from now until the profile closes. */
  [Symbol.asyncIterator](): AsyncIterableIterator<SampleEvent> {
    return untilClose(this as unknown as EventEmitter, 'sample', this.closed, (sample: SampleEvent) => sample);
  }

  ref(): this {
    this.native?.ref();
    return this;
  }

  unref(): this {
    this.native?.unref();
    return this;
  }
}

/**
 * Starts sampling process `target`, every process of a binary, or a command
 * it starts (`{ command: [...] }`, sampled from its first instruction; see
 * Profile.command). Works on any CPython 3.9-3.15 build, with or without
 * markers. Resolves once the sampler is attached on every CPU.
 */
export async function profile(target: ProfileTarget, options: ProfileOptions = {}): Promise<Profile> {
  const opts = resolveProfileOptions(options);
  if (isCommandTarget(target))
    return profileCommand(target, async (pid, command) => {
      const p = await profile(pid, options);
      p.command = command;
      return p;
    });
  let pid: unknown = target;
  if (typeof target === 'object' && target !== null) {
    const binary = assertInterpreterFile(target.binary);
    if (target.pid === undefined) return profileBinary(binary, opts);
    pid = target.pid;
    if (Number.isInteger(pid) && processesOfBinary(binary, target.pid).length === 0)
      throw new PytraceError(
        'PYTRACE_NOT_PYTHON',
        `Process ${target.pid} does not run ${binary} (or has exited): pass the PID of one of its processes, or no pid for all.`,
      );
  }
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0)
    throw new PytraceError(
      'PYTRACE_BAD_OPTION',
      `profile() takes a process id (a positive integer), { binary, pid? } or { command }, not ${String(pid)}.`,
    );
  const runtime = findRuntime(pid);
  assertPrivileged();
  const otherNamespace = fs.readlinkSync(`/proc/${pid}/ns/pid`) !== fs.readlinkSync('/proc/self/ns/pid');
  return startProfile(
    pid,
    opts,
    otherNamespace,
    () => new SampleSymbols(runtime),
    (native) => native.profileProcess(pid, kernelLayout(runtime)),
  );
}

/**
 * Every process of `binary`: the kernel reports those that exec it from
 * before the ones running now are looked up, so none starts unseen.
 */
async function profileBinary(binary: string, opts: ResolvedProfileOptions): Promise<Profile> {
  if (opts.subprocesses)
    throw new PytraceError(
      'PYTRACE_BAD_OPTION',
      "subprocesses goes with a process: a binary's profile has every process that execs it already. Pass { binary, pid } to follow one process's children.",
    );
  assertPrivileged();
  return startProfile(-1, opts, true, null, (native, result) => {
    native.traceFiles(startingFiles(binary, []));
    const running = processesOfBinary(binary);
    native.traceFiles(startingFiles(binary, running));
    for (const p of running) result.addProcess(p.pid);
  });
}

/**
 * Opens the sampler, makes its Profile, lets `setup` say what to profile,
 * attaches the sampler on every CPU and starts it; on a failure, nothing is
 * left open.
 */
async function startProfile(
  pid: number,
  opts: ResolvedProfileOptions,
  nsIds: boolean,
  makeSymbols: (() => SampleSymbols) | null,
  setup: (native: NativeTrace, profile: Profile) => void,
): Promise<Profile> {
  const transport = chooseTransport(opts);
  const symbols = makeSymbols?.() ?? null;
  const made: { profile?: Profile } = {};
  let native: NativeTrace;
  try {
    native = openSampler(pid, transport, opts, nsIds, made);
  } catch (e) {
    symbols?.close();
    throw fromNative(e);
  }
  const result = (made.profile = new Profile(pid, opts, transport, symbols, native));
  try {
    setup(native, result);
    native.attachSampling(opts.hz);
  } catch (e) {
    await result.close();
    throw fromNative(e);
  }
  native.start();
  return result;
}

function chooseTransport(opts: ResolvedProfileOptions): 'ring' | 'perf' {
  const transport = opts.transport === 'auto' ? (kernelHasRingBuffer() ? 'ring' : 'perf') : opts.transport;
  if (transport === 'ring' && !kernelHasRingBuffer())
    throw new PytraceError(
      'PYTRACE_KERNEL_UNSUPPORTED',
      'This kernel has no BPF ring buffer (Linux 5.8): use transport "perf" or "auto".',
    );
  return transport;
}

function openSampler(
  pid: number,
  transport: 'ring' | 'perf',
  opts: ResolvedProfileOptions,
  nsIds: boolean,
  made: { profile?: Profile },
): NativeTrace {
  return new NativeTrace(
    {
      pid,
      transport,
      ringBytes: DEFAULTS.ringBytes,
      wakeupBytes: DEFAULTS.wakeupBytes,
      drainMs: DEFAULTS.drainMs,
      minDrainGapUs: DEFAULTS.minDrainGapUs,
      batchBytes: DEFAULTS.batchBytes,
      maxPendingBatches: DEFAULTS.maxPendingBatches,
      dropWhenBehind: false,
      perfPages: perfPagesFor(DEFAULTS.ringBytes),
      nsIds,
      sampling: true,
      subprocesses: opts.subprocesses,
      watchExecs: pid === -1,
      dump: opts.idle,
    },
    (kind, buffer, records) => made.profile?.onMessage(kind, buffer, records),
  );
}
