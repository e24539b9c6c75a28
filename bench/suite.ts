/** The benchmark's sections: each runs its configurations and returns plain data (the JSON). */
import { BpfProfiler, ProgTime } from './bpfstats';
import { CapacityResult, ConsumerPath, measureCapacity } from './capacity';
import { median, percentile, Sampler, slope, spread } from './stats';
import { runBpftrace, runPytrace, RunResult } from './tracers';
import { untraced } from './workload';
import { measureWriter, WriterKey } from './writers';

export interface Settings {
  python: string;
  /** The ELF holding the markers (the executable, or libpython). */
  markerObject: string;
  calls: number;
  runs: number;
  memorySeconds: number;
  lowRateSeconds: number;
  capacityRecords: number;
  writerEvents: number;
  log: (line: string) => void;
}

export interface Config {
  key: string;
  label: string;
  run: (s: Settings, args: (string | number)[], profiler?: BpfProfiler) => Promise<RunResult>;
}

const bt =
  (program: string, output: 'map' | 'lines' | 'none') => (s: Settings, args: (string | number)[], p?: BpfProfiler) =>
    runBpftrace(s.python, args, program.replace(/MARKER/g, `usdt:${s.markerObject}:python`), output, p);

/**
 * bpftrace's count() has no predicate on the function name: a str() compare
 * costs about 0.1 us more per call (measured), which would flatter pytrace.
 * It is exact anyway: after the release only work() returns (workload.py).
 */
export const CONFIGS: Config[] = [
  {
    key: 'untraced',
    label: 'untraced',
    run: async (s, args) => ({ ...(await untraced(s.python, args)), delivered: null, lost: 0 }),
  },
  { key: 'bt_empty', label: 'bpftrace {} on return (uprobe floor)', run: bt('MARKER:function__return { }', 'none') },
  { key: 'bt_count', label: 'bpftrace count() on return', run: bt('MARKER:function__return { @ = count(); }', 'map') },
  {
    key: 'bt_printf',
    label: 'bpftrace printf name on return',
    run: bt('MARKER:function__return { printf("%s\\n", str(arg1)); }', 'lines'),
  },
  {
    key: 'pt_return',
    label: "pytrace 'function-return', counting",
    run: (s, a, p) => runPytrace(s.python, a, 'function-return', { profiler: p }),
  },
  {
    key: 'pt_return_perf',
    label: 'same, perf buffer transport',
    run: (s, a, p) => runPytrace(s.python, a, 'function-return', { profiler: p, attach: { transport: 'perf' } }),
  },
  {
    key: 'pt_entry',
    label: "pytrace 'function-entry' (line semaphore)",
    run: (s, a, p) => runPytrace(s.python, a, 'function-entry', { profiler: p }),
  },
  {
    key: 'bt_line_entry',
    label: 'bpftrace line {} + count() on entry',
    run: bt('MARKER:line { } MARKER:function__entry { @ = count(); }', 'map'),
  },
  {
    key: 'bt_entry',
    label: 'bpftrace count() on entry alone',
    run: bt('MARKER:function__entry { @ = count(); }', 'map'),
  },
];

export interface CostRow {
  key: string;
  label: string;
  calls: number;
  seconds: number[];
  medianSeconds: number;
  spread: number;
  /** (traced - untraced) / calls, medians; null for the untraced row. */
  usPerEvent: number | null;
  delivered: (number | null)[];
  lost: number[];
}

/**
 * Every configuration `runs` times, interleaved: each round runs them all,
 * starting one further along, so slow drifts of the machine spread evenly.
 */
export async function costSection(s: Settings, configs = CONFIGS): Promise<CostRow[]> {
  const results = new Map<string, RunResult[]>(configs.map((c) => [c.key, []]));
  for (let round = 0; round < s.runs; round++) {
    for (let i = 0; i < configs.length; i++) {
      const c = configs[(i + round) % configs.length];
      const r = await c.run(s, ['calls', s.calls]);
      results.get(c.key)!.push(r);
      s.log(
        `  round ${round + 1}/${s.runs}  ${c.label.padEnd(42)} ${r.seconds.toFixed(3)} s` +
          (r.delivered === null ? '' : `  delivered ${r.delivered}`) +
          (r.lost ? `  lost ${r.lost}` : ''),
      );
    }
  }
  const base = median(results.get('untraced')?.map((r) => r.seconds) ?? [0]);
  return configs.map((c) => {
    const rs = results.get(c.key)!;
    const secs = rs.map((r) => r.seconds);
    const m = median(secs);
    return {
      key: c.key,
      label: c.label,
      calls: s.calls,
      seconds: secs,
      medianSeconds: m,
      spread: spread(secs),
      usPerEvent: c.key === 'untraced' ? null : ((m - base) / s.calls) * 1e6,
      delivered: rs.map((r) => r.delivered),
      lost: rs.map((r) => r.lost),
    };
  });
}

export interface CapacityRow {
  path: ConsumerPath;
  label: string;
  perSecond: number[];
  median: number;
  spread: number;
  lost: number;
}

const PATHS: [ConsumerPath, string][] = [
  ['batches', 'raw batches to JS (no decoding)'],
  ['decode', 'BatchDecoder.decode, callback counts'],
  ['trace', "Trace 'function-return' listener"],
  ['trace-inline', 'same, names inline in every record'],
  ['trace-calls', 'entries and returns, durationNs paired (default)'],
  ['trace-calls-untimed', 'same stream, pairing taken out'],
];

export async function capacitySection(s: Settings): Promise<CapacityRow[]> {
  const all = new Map<ConsumerPath, CapacityResult[]>(PATHS.map(([p]) => [p, []]));
  for (let round = 0; round < s.runs; round++)
    for (const [p, label] of PATHS) {
      const r = await measureCapacity(p, s.capacityRecords);
      all.get(p)!.push(r);
      s.log(`  round ${round + 1}/${s.runs}  ${label.padEnd(42)} ${(r.perSecond / 1e6).toFixed(2)} M/s`);
    }
  return PATHS.map(([p, label]) => {
    const rates = all.get(p)!.map((r) => r.perSecond);
    return {
      path: p,
      label,
      perSecond: rates,
      median: median(rates),
      spread: spread(rates),
      lost: all.get(p)!.reduce((a, r) => a + r.lost, 0),
    };
  });
}

export interface Latency {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

function latencyOf(sampler: Sampler): Latency {
  const v = sampler.sample();
  return {
    samples: v.length,
    p50Ms: percentile(v, 50) / 1e3,
    p99Ms: percentile(v, 99) / 1e3,
    maxMs: percentile(v, 100) / 1e3,
  };
}

export interface LongRun {
  seconds: number;
  calls: number;
  delivered: number;
  lost: number;
  latency: Latency;
  /** Each second: RSS, and V8's heap and external memory (where growth would come from). */
  rssMiB: { t: number; rss: number; heapTotal: number; external: number }[];
  startMiB: number;
  maxMiB: number;
  endMiB: number;
  /** Least-squares trend after the warm-up (the ring's pages are touched once). */
  warmupSeconds: number;
  slopeMiBPerMin: number;
  /**
   * The same without V8's heap reservation (heapTotal), which the runtime
   * grows in steps by its own policy (seen: 8.7 -> 12.7 MiB once in a run):
   * what the tracer itself holds.
   */
  nativeSlopeMiBPerMin: number;
  /** Range after the warm-up. */
  steadyMinMiB: number;
  steadyMaxMiB: number;
}

/** The workload at full speed for a while: latency under load and the tracer's memory. */
export async function longRunSection(s: Settings): Promise<LongRun> {
  // 1 in 64 keeps a 60 s run at full rate under the sampler's capacity.
  const sampler = new Sampler(64);
  const rss: LongRun['rssMiB'] = [];
  let timer: NodeJS.Timeout | undefined;
  let t0 = 0;
  const take = () => {
    const m = process.memoryUsage();
    rss.push({
      t: (Date.now() - t0) / 1000,
      rss: m.rss / 2 ** 20,
      heapTotal: m.heapTotal / 2 ** 20,
      external: m.external / 2 ** 20,
    });
  };
  const onAttached = () => {
    t0 = Date.now();
    take();
    timer = setInterval(take, 1000);
  };
  let r: RunResult;
  try {
    r = await runPytrace(s.python, ['seconds', s.memorySeconds], 'function-return', { latency: sampler, onAttached });
  } finally {
    clearInterval(timer);
  }
  const warmup = Math.max(2, s.memorySeconds / 4);
  const after = rss.filter((x) => x.t >= warmup);
  const values = rss.map((x) => x.rss);
  return {
    seconds: r.seconds,
    calls: r.calls,
    delivered: r.delivered!,
    lost: r.lost,
    latency: latencyOf(sampler),
    rssMiB: rss,
    startMiB: values[0],
    maxMiB: Math.max(...values),
    endMiB: values[values.length - 1],
    warmupSeconds: warmup,
    slopeMiBPerMin:
      slope(
        after.map((x) => x.t),
        after.map((x) => x.rss),
      ) * 60,
    nativeSlopeMiBPerMin:
      slope(
        after.map((x) => x.t),
        after.map((x) => x.rss - x.heapTotal),
      ) * 60,
    steadyMinMiB: Math.min(...after.map((x) => x.rss)),
    steadyMaxMiB: Math.max(...after.map((x) => x.rss)),
  };
}

export interface LowRate extends Latency {
  rate: number;
  calls: number;
  delivered: number;
  lost: number;
}

export async function lowRateSection(s: Settings, rate = 1000): Promise<LowRate> {
  const sampler = new Sampler(1);
  const r = await runPytrace(s.python, ['rate', rate, s.lowRateSeconds], 'function-return', { latency: sampler });
  return { rate, calls: r.calls, delivered: r.delivered!, lost: r.lost, ...latencyOf(sampler) };
}

export interface ProfileRow {
  key: string;
  label: string;
  /** This run's own cost (stats on); the timed runs' median when there were timed runs. */
  usPerEvent: number;
  usPerEventTimed: number | null;
  programs: ProgTime[];
  /** BPF program time per call of work(), all programs together. */
  bpfUsPerCall: number;
}

/** One run per configuration with BPF run-time stats on (they cost a little: not the timed runs). */
export async function profileSection(
  s: Settings,
  keys: string[],
  untracedSeconds: number,
  timed?: CostRow[],
): Promise<ProfileRow[]> {
  const rows: ProfileRow[] = [];
  for (const key of keys) {
    const c = CONFIGS.find((x) => x.key === key)!;
    const profiler = new BpfProfiler();
    profiler.start();
    let r: RunResult;
    let programs: ProgTime[];
    try {
      r = await c.run(s, ['calls', s.calls], profiler);
    } finally {
      programs = profiler.stop(Math.floor(s.calls / 10));
    }
    const bpfNs = programs.reduce((a, p) => a + p.runs * p.nsPerRun, 0) / r.calls;
    const usPerEventTimed = timed?.find((x) => x.key === key)?.usPerEvent ?? null;
    rows.push({
      key,
      label: c.label,
      usPerEvent: ((r.seconds - untracedSeconds) / r.calls) * 1e6,
      usPerEventTimed,
      programs,
      bpfUsPerCall: bpfNs / 1e3,
    });
    s.log(
      `  ${c.label.padEnd(42)} BPF ${(bpfNs / 1e3).toFixed(3)} us/call of ${rows[rows.length - 1].usPerEvent.toFixed(3)} us`,
    );
  }
  return rows;
}

export interface WriterRow {
  key: WriterKey;
  label: string;
  /** null: the writer is not in the tree yet. */
  perSecond: number[] | null;
  median: number;
  spread: number;
  /** The median of events per CPU-second, every thread. */
  cpuMedian: number;
  /** The median of events per CPU-second of the JS thread. */
  jsCpuMedian: number;
  bytesPerEvent: number;
  heapMiB: number;
}

const WRITERS: [WriterKey, string][] = [
  ['text', 'text (the dtrace hierarchy), to a file'],
  ['ndjson', 'NDJSON (run --json -o), to a file'],
  ['file-system', "the file system alone: NDJSON's bytes"],
  ['trace-event', 'Trace Event JSON (record --exact)'],
  ['exact-profile', 'exact profile (StackProfile, no file)'],
  ['collapsed', 'collapsed exact profile, to a file'],
];

export async function writersSection(s: Settings): Promise<WriterRow[]> {
  const all = new Map<WriterKey, number[]>(WRITERS.map(([k]) => [k, []]));
  const cpu = new Map<WriterKey, number[]>(WRITERS.map(([k]) => [k, []]));
  const jsCpu = new Map<WriterKey, number[]>(WRITERS.map(([k]) => [k, []]));
  const last = new Map<WriterKey, { bytes: number; heapMiB: number }>();
  for (let round = 0; round < s.runs; round++)
    for (const [k, label] of WRITERS) {
      const r = await measureWriter(k, s.writerEvents);
      if (!r) continue;
      all.get(k)!.push(r.perSecond);
      cpu.get(k)!.push(r.perCpuSecond);
      jsCpu.get(k)!.push(r.perJsCpuSecond);
      last.set(k, { bytes: r.bytes, heapMiB: Math.max(r.heapMiB, last.get(k)?.heapMiB ?? 0) });
      s.log(`  round ${round + 1}/${s.runs}  ${label.padEnd(42)} ${(r.perSecond / 1e6).toFixed(2)} M/s`);
    }
  return WRITERS.map(([k, label]) => {
    const rates = all.get(k)!;
    const l = last.get(k);
    return rates.length
      ? {
          key: k,
          label,
          perSecond: rates,
          median: median(rates),
          spread: spread(rates),
          cpuMedian: median(cpu.get(k)!),
          jsCpuMedian: median(jsCpu.get(k)!),
          bytesPerEvent: l!.bytes / s.writerEvents,
          heapMiB: l!.heapMiB,
        }
      : {
          key: k,
          label,
          perSecond: null,
          median: NaN,
          spread: NaN,
          cpuMedian: NaN,
          jsCpuMedian: NaN,
          bytesPerEvent: NaN,
          heapMiB: NaN,
        };
  });
}
