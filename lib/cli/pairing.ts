/**
 * Pairs gc-start with gc-done and import starts with their dones, giving each
 * done its duration, and keeps the counts the end-of-trace summary reports.
 */
import { TraceEvent } from '../index';
import { printable } from './escape';
import { formatDuration } from './output';

/** What a done event gains from its start: null fields when the start was not seen. */
export interface Pairing {
  durationNs: bigint | null;
  generation?: number | null;
}

interface Totals {
  count: number;
  totalNs: bigint;
  maxNs: bigint;
}

const emptyTotals = (): Totals => ({ count: 0, totalNs: 0n, maxNs: 0n });

function add(t: Totals, ns: bigint): void {
  t.count++;
  t.totalNs += ns;
  if (ns > t.maxNs) t.maxNs = ns;
}

export class EventStats {
  /** Per thread: the collection under way (a collection does not nest). */
  private gcOpen = new Map<number, { ts: bigint; generation: number }>();
  /** Per thread and module: starts not yet done (a module may be imported again inside its own import). */
  private importOpen = new Map<string, bigint[]>();
  /** Per thread: imports open, to time only the outermost ones. */
  private importDepth = new Map<number, number>();

  gc = { starts: 0, dones: 0, unpaired: 0, collected: 0, byGeneration: new Map<number, Totals>(), all: emptyTotals() };
  imports = {
    starts: 0,
    dones: 0,
    unpaired: 0,
    found: 0,
    notFound: 0,
    each: emptyTotals(),
    outermostNs: 0n,
    slowest: null as { module: string; ns: bigint } | null,
  };
  audit = new Map<string, number>();

  /** Threads whose process exec'd: what they had open is gone. */
  forgetThreads(tids: number[]): void {
    for (const tid of tids) {
      this.gcOpen.delete(tid);
      this.importDepth.delete(tid);
      for (const key of this.importOpen.keys()) if (key.startsWith(`${tid}\0`)) this.importOpen.delete(key);
    }
  }

  /** Notes `ev`; for a done event, returns what its start tells. */
  observe(ev: TraceEvent): Pairing | undefined {
    switch (ev.type) {
      case 'gc-start':
        this.gc.starts++;
        this.gcOpen.set(ev.tid, { ts: ev.ts, generation: ev.generation });
        return undefined;
      case 'gc-done': {
        this.gc.dones++;
        this.gc.collected += ev.collected;
        const start = this.gcOpen.get(ev.tid);
        if (!start) {
          this.gc.unpaired++;
          return { durationNs: null, generation: null };
        }
        this.gcOpen.delete(ev.tid);
        const ns = ev.ts - start.ts;
        let g = this.gc.byGeneration.get(start.generation);
        if (!g) this.gc.byGeneration.set(start.generation, (g = emptyTotals()));
        add(g, ns);
        add(this.gc.all, ns);
        return { durationNs: ns, generation: start.generation };
      }
      case 'import-find-load-start': {
        this.imports.starts++;
        const key = `${ev.tid}\0${ev.module}`;
        const open = this.importOpen.get(key);
        if (open) open.push(ev.ts);
        else this.importOpen.set(key, [ev.ts]);
        this.importDepth.set(ev.tid, (this.importDepth.get(ev.tid) ?? 0) + 1);
        return undefined;
      }
      case 'import-find-load-done': {
        this.imports.dones++;
        if (ev.found) this.imports.found++;
        else this.imports.notFound++;
        const key = `${ev.tid}\0${ev.module}`;
        const open = this.importOpen.get(key);
        const start = open?.pop();
        if (open && !open.length) this.importOpen.delete(key);
        if (start === undefined) {
          this.imports.unpaired++;
          return { durationNs: null };
        }
        const depth = (this.importDepth.get(ev.tid) ?? 1) - 1;
        this.importDepth.set(ev.tid, depth);
        const ns = ev.ts - start;
        add(this.imports.each, ns);
        if (depth === 0) this.imports.outermostNs += ns;
        if (!this.imports.slowest || ns > this.imports.slowest.ns) this.imports.slowest = { module: ev.module, ns };
        return { durationNs: ns };
      }
      case 'audit':
        this.audit.set(ev.event, (this.audit.get(ev.event) ?? 0) + 1);
        return undefined;
      default:
        return undefined;
    }
  }

  gcSummary(): string[] {
    const g = this.gc;
    const lines = [
      `gc: ${g.dones} collection${g.dones === 1 ? '' : 's'}, ${g.collected} objects collected${g.unpaired ? `, ${g.unpaired} without a start (already under way when tracing began)` : ''}`,
    ];
    for (const [gen, t] of [...g.byGeneration].sort((a, b) => a[0] - b[0]))
      lines.push(`  generation ${gen}: ${timing(t, 'collection')}`);
    if (g.all.count) lines.push(`  all: ${timing(g.all, 'collection')}`);
    return lines;
  }

  importSummary(): string[] {
    const i = this.imports;
    const lines = [
      `imports: ${i.dones} (${i.found} found, ${i.notFound} not found)${i.unpaired ? `, ${i.unpaired} without a start` : ''}`,
    ];
    if (i.each.count) {
      lines.push(`  time importing (outermost imports): ${formatDuration(i.outermostNs)}`);
      lines.push(`  per import, nested ones included: ${timing(i.each, 'import')}`);
      lines.push(`  slowest: ${printable(i.slowest!.module)} ${formatDuration(i.slowest!.ns)}`);
    }
    return lines;
  }

  auditSummary(): string[] {
    const total = [...this.audit.values()].reduce((a, b) => a + b, 0);
    const lines = [`audit: ${total} event${total === 1 ? '' : 's'}`];
    for (const [name, n] of [...this.audit].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])))
      lines.push(`  ${String(n).padStart(8)} ${printable(name)}`);
    return lines;
  }

  gcJson(): object {
    const g = this.gc;
    return {
      collections: g.dones,
      collected: g.collected,
      unpaired: g.unpaired,
      generations: Object.fromEntries([...g.byGeneration].map(([gen, t]) => [gen, timingJson(t)])),
      all: timingJson(g.all),
    };
  }

  importJson(): object {
    const i = this.imports;
    return {
      imports: i.dones,
      found: i.found,
      notFound: i.notFound,
      unpaired: i.unpaired,
      outermostNs: i.outermostNs,
      each: timingJson(i.each),
      slowest: i.slowest && { module: i.slowest.module, durationNs: i.slowest.ns },
    };
  }

  auditJson(): object {
    return { events: Object.fromEntries(this.audit) };
  }
}

function timing(t: Totals, noun: string): string {
  const counted = `${t.count} ${noun}${t.count === 1 ? '' : 's'}`;
  if (!t.count) return counted;
  return `${counted}, total ${formatDuration(t.totalNs)}, avg ${formatDuration(t.totalNs / BigInt(t.count))}, max ${formatDuration(t.maxNs)}`;
}

function timingJson(t: Totals): object {
  return { count: t.count, totalNs: t.totalNs, avgNs: t.count ? t.totalNs / BigInt(t.count) : 0n, maxNs: t.maxNs };
}
