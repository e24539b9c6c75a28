/**
 * What the agent has attached. Host-wide: one call counter (one set of BPF
 * programs) that takes up each Python binary as it is found, and one trace of
 * the gc, import and audit markers per binary, both covering every process
 * that runs it, later ones and those in containers included. With --pid: a
 * counter and a trace per process. A failed attach is reported and skipped.
 */
import * as fs from 'fs';
import { CallCount, CallCounter, countCalls } from '../api/count';
import { attach, Trace } from '../api/trace';
import { describeBinary } from '../discovery/describe';
import type { TraceEvent } from '../markers';
import { PythonProcess } from './discovery';
import { MARKER_EVENTS } from './event-metrics';

export interface AttachmentHooks {
  event(ev: TraceEvent): void;
  lost(count: number): void;
  /** An attach failed: `what` names the binary or process. */
  failed(what: string, error: unknown): void;
}

interface PerProcess {
  counter?: CallCounter;
  trace?: Trace;
}

export class Attachments {
  private counter?: CallCounter;
  /** Host-wide: per binary file (device:inode), its trace once attached (null: it failed or fires none). */
  private byFile = new Map<string, Trace | null>();
  private attachedFiles = new Set<string>();
  private byPid = new Map<number, PerProcess>();
  private closed = false;

  constructor(
    private readonly perProcess: boolean,
    /** Count calls in the kernel (else only the gc, import and audit events). */
    private readonly callCounts: boolean,
    private readonly hooks: AttachmentHooks,
  ) {}

  async start(): Promise<void> {
    // Binaries are given one by one as they are found: no scan of its own.
    if (!this.perProcess && this.callCounts) this.counter = await countCalls({ binaries: [] });
  }

  /** Whether `p` is covered (its binary, or itself with --pid, attached). */
  covers(p: PythonProcess): boolean {
    return this.perProcess ? this.byPid.has(p.pid) : this.attachedFiles.has(p.fileKey);
  }

  get count(): number {
    return this.perProcess ? this.byPid.size : this.attachedFiles.size;
  }

  /** Attaches to `p`'s binary (or, with --pid, to `p`) unless done, or tried, before. */
  async cover(p: PythonProcess): Promise<void> {
    if (this.closed) return;
    if (this.perProcess) return this.coverProcess(p);
    if (this.byFile.has(p.fileKey)) return;
    this.byFile.set(p.fileKey, null);
    let ok = false;
    if (!fs.existsSync(p.hostPath)) {
      // Its process went with its root, and the file's only path: the next process of that file brings another.
      this.byFile.delete(p.fileKey);
      return;
    }
    try {
      this.counter?.coverNewBinaries([p.hostPath]);
      ok = this.counter !== undefined;
    } catch (e) {
      this.hooks.failed(`${p.binary} (pid ${p.pid}): call counts`, e);
    }
    try {
      const events = firing(p.hostPath);
      if (events.length) {
        const trace = await attach({ binary: p.hostPath }, { events });
        this.listen(trace);
        this.byFile.set(p.fileKey, trace);
      }
      ok = true;
    } catch (e) {
      this.hooks.failed(`${p.binary} (pid ${p.pid}): gc, import and audit events`, e);
    }
    if (ok) this.attachedFiles.add(p.fileKey);
    else if (!fs.existsSync(p.hostPath)) this.byFile.delete(p.fileKey); // gone while attaching: retried with the next
  }

  private async coverProcess(p: PythonProcess): Promise<void> {
    if (this.byPid.has(p.pid)) return;
    const mine: PerProcess = {};
    this.byPid.set(p.pid, mine);
    try {
      if (this.callCounts) mine.counter = await countCalls({ pids: [p.pid] });
    } catch (e) {
      this.hooks.failed(`pid ${p.pid} (${p.binary}): call counts`, e);
    }
    try {
      const events = firing(p.hostPath);
      if (events.length) {
        mine.trace = await attach(p.pid, { events });
        this.listen(mine.trace);
      }
    } catch (e) {
      this.hooks.failed(`pid ${p.pid} (${p.binary}): gc, import and audit events`, e);
    }
    if (!mine.counter && !mine.trace) this.byPid.delete(p.pid);
  }

  private listen(trace: Trace): void {
    for (const name of MARKER_EVENTS) trace.on(name, (ev: TraceEvent) => this.hooks.event(ev));
    trace.on('lost', (r) => this.hooks.lost(r.count));
  }

  /** The calls counted since the last read, in every process. */
  readCalls(): CallCount[] {
    const out: CallCount[] = [];
    if (this.counter) out.push(...this.counter.read());
    for (const p of this.byPid.values()) if (p.counter) out.push(...p.counter.read());
    return out;
  }

  /** With --pid, a process gone: its counter and trace are closed (after the read of its last counts). */
  async exited(pid: number): Promise<void> {
    const p = this.byPid.get(pid);
    if (!p) return;
    this.byPid.delete(pid);
    await p.counter?.close();
    await p.trace?.detach();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.counter?.close();
    this.counter = undefined;
    for (const t of this.byFile.values()) await t?.detach();
    this.byFile.clear();
    for (const pid of [...this.byPid.keys()]) await this.exited(pid);
  }
}

/** Which of the gc, import and audit events the binary's build fires. */
function firing(path: string): (typeof MARKER_EVENTS)[number][] {
  const d = describeBinary(path);
  return MARKER_EVENTS.filter((e) => d.events[e].available);
}
