/**
 * Marker events into metrics: a gc's start and done paired per thread (its
 * generation and duration), imports paired per thread as they nest, audit
 * events counted by name under the per-process bound.
 */
import type { TraceEvent } from '../markers';
import { BoundedNames } from './bounded-names';
import { AgentMetrics } from './metrics';

export const MARKER_EVENTS = [
  'gc-start',
  'gc-done',
  'import-find-load-start',
  'import-find-load-done',
  'audit',
] as const satisfies readonly TraceEvent['type'][];

interface ThreadState {
  gc?: { generation: number; ts: bigint };
  imports: bigint[];
}

export class EventMetrics {
  private threads = new Map<number, Map<number, ThreadState>>();
  private auditNames: BoundedNames;

  constructor(
    private readonly metrics: AgentMetrics,
    limit: number,
    /** The process's labels, or null when its series are not wanted (it has exited). */
    private readonly labelsOf: (pid: number) => { pid: string; binary: string } | null,
  ) {
    this.auditNames = new BoundedNames(limit);
  }

  private thread(pid: number, tid: number): ThreadState {
    let byTid = this.threads.get(pid);
    if (!byTid) this.threads.set(pid, (byTid = new Map()));
    let t = byTid.get(tid);
    if (!t) byTid.set(tid, (t = { imports: [] }));
    return t;
  }

  see(ev: TraceEvent): void {
    this.metrics.events.inc();
    const labels = this.labelsOf(ev.pid);
    if (!labels) return;
    const m = this.metrics;
    switch (ev.type) {
      case 'gc-start':
        this.thread(ev.pid, ev.tid).gc = { generation: ev.generation, ts: ev.ts };
        break;
      case 'gc-done': {
        const t = this.thread(ev.pid, ev.tid);
        // A collection under way when the attach came has no start: its generation is unknown.
        if (!t.gc) break;
        const generation = { ...labels, generation: String(t.gc.generation) };
        m.observe(m.gcDuration, generation, Number(ev.ts - t.gc.ts) / 1e9);
        m.add(m.gcCollected, generation, ev.collected);
        t.gc = undefined;
        break;
      }
      case 'import-find-load-start':
        this.thread(ev.pid, ev.tid).imports.push(ev.ts);
        break;
      case 'import-find-load-done': {
        const start = this.thread(ev.pid, ev.tid).imports.pop();
        if (start === undefined) break; // started before the attach
        m.observe(m.importDuration, labels, Number(ev.ts - start) / 1e9);
        if (!ev.found) m.add(m.importFailures, labels, 1);
        break;
      }
      case 'audit':
        m.add(m.audit, { ...labels, event: this.auditNames.nameFor(ev.pid, ev.event) }, 1);
        break;
    }
  }

  forget(pid: number): void {
    this.threads.delete(pid);
    this.auditNames.forget(pid);
  }
}
