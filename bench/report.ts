/** The benchmark's output: targets judged from the results, and the printed table. */
import { CapacityRow, CostRow, LongRun, LowRate, ProfileRow, WriterRow } from './suite';
import { WriterRow as ProfileWriterRow } from './profile-writers';

export interface Target {
  name: string;
  measured: string;
  target: string;
  pass: boolean | null;
  /** How far off, when it fails. */
  note: string;
}

export interface Results {
  meta: Record<string, string | number | boolean | null>;
  cost?: CostRow[];
  capacity?: CapacityRow[];
  writers?: WriterRow[];
  longRun?: LongRun;
  lowRate?: LowRate;
  profile?: ProfileRow[];
  profileWriters?: ProfileWriterRow[];
  targets?: Target[];
}

const fix = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const mega = (x: number) => `${(x / 1e6).toFixed(2)} M/s`;

/** A ratio measured against an upper bound (lower is better). */
function atMost(name: string, measured: number, bound: number, unit = '', digits = 2): Target {
  const pass = Number.isFinite(measured) ? measured <= bound : null;
  const note = pass === false ? `${fix(measured / bound, 2)}x the bound` : '';
  return { name, measured: `${fix(measured, digits)}${unit}`, target: `<= ${bound}${unit}`, pass, note };
}

export function targets(r: Results): Target[] {
  const t: Target[] = [];
  const row = (k: string) => r.cost?.find((x) => x.key === k);
  const us = (k: string) => row(k)?.usPerEvent ?? NaN;
  if (r.cost) {
    t.push(atMost('pytrace cost / bpftrace count() cost', us('pt_return') / us('bt_count'), 1.3));
    t.push(atMost('pytrace cost / bpftrace printf cost', us('pt_return') / us('bt_printf'), 0.35));
    t.push(atMost('perf transport cost / ring cost', us('pt_return_perf') / us('pt_return'), 1.5));
    t.push(atMost('3.11 entry: semaphore / attaching line', us('pt_entry') / us('bt_line_entry'), 0.6));
  }
  const exact: { delivered: number; calls: number; lost: number }[] = [];
  const pt = row('pt_return');
  if (pt) pt.delivered.forEach((d, i) => exact.push({ delivered: d ?? 0, calls: pt.calls, lost: pt.lost[i] }));
  if (r.longRun) exact.push(r.longRun);
  if (exact.length) {
    const lost = exact.reduce((a, x) => a + x.lost, 0);
    const off = exact.filter((x) => x.delivered !== x.calls);
    const pass = lost === 0 && off.length === 0;
    t.push({
      name: 'full rate, default ring: lost; delivered = calls',
      measured: `${lost} lost; ${exact.length - off.length}/${exact.length} runs exact`,
      target: '0; every run',
      pass,
      note: pass ? '' : off.map((x) => `${x.delivered}/${x.calls}`).join(' '),
    });
  }
  for (const w of r.writers ?? [])
    if (w.perSecond && w.key !== 'exact-profile' && w.key !== 'file-system')
      t.push({
        name: `writer: ${w.label}`,
        measured: mega(w.median),
        target: '>= 2.00 M/s',
        pass: w.median >= 2e6,
        // Beside it, the rate per second of CPU the JS thread had: on a shared machine, what one core of its own gives.
        note: `${w.median >= 2e6 ? '' : `${fix(2e6 / w.median, 2)}x short; `}${mega(w.jsCpuMedian)} per JS-thread CPU-second`,
      });
  const timed = r.capacity?.find((x) => x.path === 'trace-calls');
  const untimed = r.capacity?.find((x) => x.path === 'trace-calls-untimed');
  // durationNs is on by default while the consumer, pairing included, keeps the capacity target.
  if (timed && untimed) {
    const pass = timed.median >= 5e6;
    t.push({
      name: 'entries and returns with durationNs (default)',
      measured: `${mega(timed.median)} (${fix(untimed.median / timed.median, 2)}x untimed)`,
      target: '>= 5.00 M/s',
      pass,
      note: pass ? '' : `${fix(5e6 / timed.median, 2)}x short`,
    });
  }
  const cap = r.capacity?.find((x) => x.path === 'trace');
  if (cap) {
    const pass = cap.median >= 5e6;
    t.push({
      name: 'JS consumer capacity (Trace listener)',
      measured: mega(cap.median),
      target: '>= 5.00 M/s',
      pass,
      note: pass ? '' : `${fix(5e6 / cap.median, 2)}x short`,
    });
  }
  const collapsed = r.profileWriters?.find((w) => w.format === 'collapsed');
  const ceiling = r.profileWriters?.find((w) => w.format === 'same bytes, ready-made');
  if (collapsed) {
    const pass = collapsed.median >= 2e6;
    t.push({
      // Lines of some 600 bytes: the file system's rate for the same bytes (beside it) bounds this one.
      name: 'collapsed writer: distinct stacks to a file',
      measured: `${mega(collapsed.median)}${ceiling ? ` (${fix(collapsed.median / ceiling.median, 2)}x fs)` : ''}`,
      target: '>= 2.00 M/s',
      pass,
      note: pass ? '' : `${fix(2e6 / collapsed.median, 2)}x short`,
    });
  }
  if (r.longRun) t.push(atMost('latency p99 at full load', r.longRun.latency.p99Ms, 10, ' ms', 3));
  if (r.lowRate) t.push(atMost('latency p99 at 1000 events/s', r.lowRate.p99Ms, 1, ' ms', 3));
  if (r.longRun) {
    const m = r.longRun;
    // Growth is what matters: RSS falling after the warm-up (GC returning pages) passes.
    t.push(atMost('tracer memory flat (RSS - V8 heap, trend)', m.nativeSlopeMiBPerMin, 1, ' MiB/min'));
  }
  return t;
}

function table(headers: string[], rows: string[][], right: boolean[]): string {
  const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right[i] ? c.padStart(w[i]) : c.padEnd(w[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)].join('\n') + '\n';
}

function costTable(cost: CostRow[]): string {
  const rows = cost.map((c) => {
    const delivered = c.delivered.every((d) => d === null)
      ? '-'
      : `${Math.min(...c.delivered.map((d) => d ?? 0))}${c.delivered.every((d) => d === c.delivered[0]) ? '' : '..' + Math.max(...c.delivered.map((d) => d ?? 0))}`;
    const lost =
      c.key === 'untraced'
        ? '-'
        : c.lost.every((l) => l === c.lost[0])
          ? String(c.lost[0])
          : `${Math.min(...c.lost)}..${Math.max(...c.lost)}`;
    return [
      c.label,
      fix(c.medianSeconds, 3),
      pct(c.spread),
      c.usPerEvent === null ? '-' : fix(c.usPerEvent, 3),
      delivered,
      lost,
    ];
  });
  return table(['configuration', 'time s', 'spread', 'us/event', `delivered of ${cost[0].calls}`, 'lost'], rows, [
    false,
    true,
    true,
    true,
    true,
    true,
  ]);
}

function ratios(cost: CostRow[]): string {
  const us = (k: string) => cost.find((x) => x.key === k)?.usPerEvent ?? NaN;
  const pairs: [string, string, string][] = [
    ['pytrace return', 'pt_return', 'bt_count'],
    ['pytrace return', 'pt_return', 'bt_printf'],
    ['pytrace return', 'pt_return', 'bt_empty'],
    ['pytrace return, perf buffer', 'pt_return_perf', 'pt_return'],
    ['pytrace return, perf buffer', 'pt_return_perf', 'bt_count'],
    ['pytrace entry', 'pt_entry', 'bt_line_entry'],
    ['pytrace entry', 'pt_entry', 'pt_return'],
  ];
  const label = (k: string) => cost.find((x) => x.key === k)?.label ?? k;
  return pairs
    .filter(([, a, b]) => Number.isFinite(us(a) / us(b)))
    .map(([name, a, b]) => `  ${name} / ${label(b)}: ${fix(us(a) / us(b), 2)}\n`)
    .join('');
}

export function render(r: Results): string {
  const m = r.meta;
  let out = `pytrace benchmark: CPython ${m.pythonVersion} (${m.python}), ${m.bpftrace}, Linux ${m.kernel}, ${m.cpus} CPUs, node ${m.node}\n`;
  if (m.otherTracers)
    out += `warning: other tracers' programs were loaded before or after the run (${m.otherTracers}); if they fire in the workload, costs are inflated\n`;
  if (r.cost) {
    out += `\nTraced cost: ${m.calls} calls of work() per run, median of ${m.runs} interleaved runs; time measured inside Python\n`;
    out += costTable(r.cost);
    out += 'ratios of cost per event:\n' + ratios(r.cost);
  }
  if (r.capacity) {
    out += `\nJS consumer capacity: synthetic records in the kernel's format, one JS thread, median of ${m.runs}\n`;
    out += table(
      ['path', 'events/s', 'spread', 'lost'],
      r.capacity.map((c) => [c.label, mega(c.median), pct(c.spread), String(c.lost)]),
      [false, true, true, true],
    );
  }
  if (r.writers) {
    out += `\nWriters: decoded events (nested calls, returns with durations) made into text on one JS thread, in batches as a Trace gives them; per CPU-second of the JS thread, and of all threads (a writer thread writes the text files behind it); median of ${m.runs}\n`;
    out += table(
      ['writer', 'events/s', 'spread', 'per JS CPU-s', 'per CPU-s', 'bytes/event', 'heap MiB after'],
      r.writers.map((w) =>
        w.perSecond
          ? [
              w.label,
              mega(w.median),
              pct(w.spread),
              mega(w.jsCpuMedian),
              mega(w.cpuMedian),
              fix(w.bytesPerEvent, 1),
              fix(w.heapMiB, 1),
            ]
          : [w.label, 'not in the tree yet', '', '', '', '', ''],
      ),
      [false, true, true, true, true, true, true],
    );
  }
  if (r.profileWriters) {
    const w0 = r.profileWriters[0];
    out += `\nProfile writers: ${w0.lines} distinct stacks (lines) of ${m.writerDepth} frames on average written to a file, median of ${m.runs}\n`;
    out += table(
      ['format', 'stacks/s', 'MB/s', 'spread', 'file MB'],
      r.profileWriters.map((w) => [
        w.format,
        mega(w.median),
        fix((w.median * w.bytes) / w.lines / 1e6, 0),
        pct(w.spread),
        fix(w.bytes / 1e6, 0),
      ]),
      [false, true, true, true, true],
    );
  }
  if (r.longRun || r.lowRate) {
    out += '\nEvent-to-listener latency (bpf_ktime_get_ns to process.hrtime.bigint in the listener)\n';
    const rows: string[][] = [];
    const l = r.longRun;
    if (l)
      rows.push([
        `full load, ${fix(l.calls / l.seconds / 1e6, 2)} M calls/s, ${fix(l.seconds, 0)} s`,
        fix(l.latency.p50Ms, 3),
        fix(l.latency.p99Ms, 3),
        fix(l.latency.maxMs, 3),
        `${l.latency.samples} (1 in 64)`,
        `${l.delivered}/${l.calls}`,
        String(l.lost),
      ]);
    const w = r.lowRate;
    if (w)
      rows.push([
        `${w.rate} events/s`,
        fix(w.p50Ms, 3),
        fix(w.p99Ms, 3),
        fix(w.maxMs, 3),
        String(w.samples),
        `${w.delivered}/${w.calls}`,
        String(w.lost),
      ]);
    out += table(['load', 'p50 ms', 'p99 ms', 'max ms', 'samples', 'delivered', 'lost'], rows, [
      false,
      true,
      true,
      true,
      true,
      true,
      true,
    ]);
  }
  if (r.longRun) {
    const l = r.longRun;
    out += `\nTracer RSS over ${fix(l.seconds, 0)} s at full rate (sampled every second)\n`;
    out += `  start ${fix(l.startMiB, 1)} MiB, max ${fix(l.maxMiB, 1)} MiB, end ${fix(l.endMiB, 1)} MiB, after ${l.warmupSeconds} s warm-up: ${fix(l.steadyMinMiB, 1)}..${fix(l.steadyMaxMiB, 1)} MiB, trend ${fix(l.slopeMiBPerMin, 2)} MiB/min; without V8's heap reservation: trend ${fix(l.nativeSlopeMiBPerMin, 2)} MiB/min\n`;
  }
  if (r.profile) {
    out +=
      "\nBPF program time (kernel.bpf_stats_enabled, one run each): the rest of a call's cost is the uprobe trap and return\n";
    const rows = r.profile.map((p) => {
      const cost = p.usPerEventTimed ?? p.usPerEvent;
      return [
        p.label,
        fix(cost, 3),
        fix(p.usPerEvent, 3),
        fix(p.bpfUsPerCall, 3),
        fix(cost - p.bpfUsPerCall, 3),
        p.programs.map((x) => `${x.name} ${fix(x.nsPerRun, 0)} ns x${fix(x.runs / Number(m.calls), 1)}`).join(', '),
      ];
    });
    out += table(
      ['configuration', 'us/event', 'with stats', 'BPF us', 'rest us', 'programs (ns per run x runs per call)'],
      rows,
      [false, true, true, true, true, false],
    );
    out += "  us/event: the timed runs' median (this run's own when there were none); rest = us/event - BPF us\n";
  }
  if (r.targets?.length) {
    out += '\nTargets\n';
    out += table(
      ['target', 'measured', 'bound', 'result', ''],
      r.targets.map((t) => [t.name, t.measured, t.target, t.pass === null ? 'n/a' : t.pass ? 'PASS' : 'FAIL', t.note]),
      [false, true, true, false, false],
    );
  }
  out += `\nbench took ${fix(Number(m.elapsedSeconds), 0)} s\n`;
  return out;
}
