/**
 * The processes a profile samples: the target, and with `subprocesses` its
 * children as they come (the fork, exec and exit records native/process
 * acts on for the marker trace, here read by the profile). A forked child
 * gets the parent's layout (the same image) under its own pid; one that
 * exec'd gets its new program's layout, or leaves the profile if that is no
 * CPython. Each process has its own symbols: its code objects are its own.
 */
import { NativeTrace } from '../native';
import { kernelLayout } from '../sampling/kernel-layout';
import { findRuntime } from '../sampling/runtime';
import { SampleSymbols } from '../sampling/sample-symbols';
import { ProcessRecord } from '../stream/process-records';

export class ProfiledProcesses {
  private symbols = new Map<number, SampleSymbols>();
  /** Children that were profiled, now exited or exec'd into something else. */
  ended = 0;

  constructor(
    readonly pid: number,
    main: SampleSymbols,
    private native: () => NativeTrace | null,
  ) {
    this.symbols.set(pid, main);
  }

  /** The symbols of `pid`'s code objects (the target's if it is none of these). */
  symbolsOf(pid: number): SampleSymbols {
    return this.symbols.get(pid) ?? this.symbols.get(this.pid)!;
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
    if (rec.type === 'fork') {
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
    native.profileProcess(pid, kernelLayout(runtime));
    this.symbols.get(pid)?.close();
    this.symbols.set(pid, new SampleSymbols(runtime));
  }

  private drop(pid: number): void {
    const s = this.symbols.get(pid);
    if (s && pid !== this.pid) {
      s.close();
      this.symbols.delete(pid);
      this.ended++;
    }
  }

  close(): void {
    for (const s of this.symbols.values()) s.close();
  }
}
