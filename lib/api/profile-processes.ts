/**
 * The processes a profile samples: the target, and with `subprocesses` its
 * children as they come (the fork, exec and exit records native/process
 * acts on for the marker trace, here read by the profile). A forked child
 * gets the parent's layout (the same image) under its own pid; one that
 * exec'd gets its new program's layout, or leaves the profile if that is no
 * CPython. Each process has its own symbols: its code objects are its own.
 * A binary's profile (lib/api/profile-binary.ts) adds each process that
 * starts running it.
 */
import * as fs from 'fs';
import { NativeTrace } from '../native';
import { kernelLayout } from '../sampling/kernel-layout';
import { findRuntime, PythonRuntime } from '../sampling/runtime';
import { SampleSymbols } from '../sampling/sample-symbols';
import { ProcessRecord } from '../stream/process-records';

/** How long a process that exec'd the binary may take to map its interpreter (ms, doubling waits). */
const RETRY_FOR_MS = 10_000;

export class ProfiledProcesses {
  private symbols = new Map<number, SampleSymbols>();
  private retries = new Map<number, NodeJS.Timeout>();
  /** Children that were profiled, now exited or exec'd into something else. */
  ended = 0;
  /** Processes profiled so far, the target included. */
  joined = 0;

  /** `main`: the target's symbols; none for a binary's profile (pid -1). */
  constructor(
    readonly pid: number,
    main: SampleSymbols | null,
    private native: () => NativeTrace | null,
  ) {
    if (main) this.symbols.set(pid, main);
  }

  /** The symbols of `pid`'s code objects (the target's if it is none of these). */
  symbolsOf(pid: number): SampleSymbols | undefined {
    return this.symbols.get(pid) ?? this.symbols.get(this.pid);
  }

  /**
   * A process of the profiled binary, running or just exec'd. One that has
   * just exec'd may not have its libpython mapped yet (the dynamic loader
   * maps it before main): looked at again, more rarely each time, while it
   * lives, until it has.
   */
  addOfBinary(pid: number, wait = 1): void {
    clearTimeout(this.retries.get(pid));
    this.retries.delete(pid);
    if (!this.native()) return;
    try {
      this.profileWith(pid, findRuntime(pid));
    } catch {
      // Ended, or 10 s on and still no interpreter: not a CPython.
      if (!fs.existsSync(`/proc/${pid}`) || wait > RETRY_FOR_MS) return;
      const timer = setTimeout(() => this.addOfBinary(pid, wait * 2), wait);
      timer.unref();
      this.retries.set(pid, timer);
    }
  }

  /** The pids profiled now. */
  get pids(): Iterable<number> {
    return this.symbols.keys();
  }

  get all(): Iterable<SampleSymbols> {
    return this.symbols.values();
  }

  /** A process record of a subprocess-following profile. */
  changed(rec: ProcessRecord): void {
    if (this.pid === -1) this.changedOfBinary(rec);
    else if (rec.type === 'fork') {
      if (rec.traced) this.add(rec.child);
    } else if (rec.type === 'exec') {
      try {
        if (rec.pid !== this.pid && this.symbols.has(rec.pid)) this.add(rec.pid);
      } finally {
        // The kernel stopped it before the new program's first instruction.
        if (rec.held) this.native()?.resume(rec.pid);
      }
    }
  }

  /** A binary's process started, exec'd (the binary again, or another program), or ended. */
  private changedOfBinary(rec: ProcessRecord): void {
    if (rec.type === 'exit') this.drop(rec.pid);
    if (rec.type !== 'exec') return;
    if (!rec.held) {
      this.addOfBinary(rec.pid);
      return;
    }
    // Held: another program, not the binary; its samples are left out from here.
    this.drop(rec.pid);
    this.native()?.resume(rec.pid);
  }

  private add(pid: number): void {
    const native = this.native();
    if (!native) return;
    let runtime;
    try {
      runtime = findRuntime(pid);
    } catch {
      // Gone already, or not a CPython (an exec'd tool): nothing of it to sample.
      this.drop(pid);
      return;
    }
    this.profileWith(pid, runtime);
  }

  private profileWith(pid: number, runtime: PythonRuntime): void {
    this.native()!.profileProcess(pid, kernelLayout(runtime));
    this.joined++;
    this.symbols.get(pid)?.close();
    this.symbols.set(pid, new SampleSymbols(runtime));
  }

  private drop(pid: number): void {
    clearTimeout(this.retries.get(pid));
    this.retries.delete(pid);
    const s = this.symbols.get(pid);
    if (s && pid !== this.pid) {
      s.close();
      this.symbols.delete(pid);
      this.ended++;
    }
  }

  close(): void {
    for (const t of this.retries.values()) clearTimeout(t);
    this.retries.clear();
    for (const s of this.symbols.values()) s.close();
  }
}
