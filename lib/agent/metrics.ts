/**
 * The agent's metrics, in its own prom-client Registry: what the Pythons do
 * (calls, gc, imports, audit events), with a pid label so each process's
 * series can be removed when it exits, and the agent's own health.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SampleHealth } from './samples';

const PROCESS = ['pid', 'binary'] as const;

/** The reason label of each unwind failure of ProfileStats. */
const UNWIND_REASONS: Record<keyof SampleHealth['unwindFailures'], string> = {
  noThreadState: 'no_thread_state',
  readFault: 'read_fault',
  notCode: 'not_code',
  noFrames: 'no_frames',
  staleFrame: 'stale_frame',
};

export class AgentMetrics {
  readonly registry = new Registry();
  readonly calls = new Counter({
    name: 'pytrace_python_calls_total',
    help: 'Python function calls, counted in the kernel where the call markers fire; per process, functions beyond the top N are summed under function="(other)".',
    labelNames: [...PROCESS, 'file', 'function'],
    registers: [this.registry],
  });
  readonly samples = new Counter({
    name: 'pytrace_python_samples_total',
    help: 'On-CPU stack samples by innermost function, where the build fires no call markers (3.12-3.14); per process, functions beyond the top N are summed under function="(other)".',
    labelNames: [...PROCESS, 'file', 'function'],
    registers: [this.registry],
  });
  readonly gcDuration = new Histogram({
    name: 'pytrace_python_gc_duration_seconds',
    help: 'Garbage collections by generation and how long each took (its _count is the collections).',
    labelNames: [...PROCESS, 'generation'],
    buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
    registers: [this.registry],
  });
  readonly gcCollected = new Counter({
    name: 'pytrace_python_gc_collected_objects_total',
    help: 'Objects the garbage collector freed, by generation.',
    labelNames: [...PROCESS, 'generation'],
    registers: [this.registry],
  });
  readonly importDuration = new Histogram({
    name: 'pytrace_python_import_duration_seconds',
    help: 'Module imports that searched and loaded (not found in sys.modules), and how long each took, nested ones included.',
    labelNames: [...PROCESS],
    buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });
  readonly importFailures = new Counter({
    name: 'pytrace_python_import_failures_total',
    help: 'Imports whose module was not found or failed to load.',
    labelNames: [...PROCESS],
    registers: [this.registry],
  });
  readonly audit = new Counter({
    name: 'pytrace_python_audit_events_total',
    help: 'Audit events (sys.audit) by name; per process, names beyond the top N are summed under event="(other)".',
    labelNames: [...PROCESS, 'event'],
    registers: [this.registry],
  });
  readonly up = new Gauge({
    name: 'pytrace_python_up',
    help: 'Each Python process found: 1 when attached (its binary, or itself with --pid), 0 when the attach failed.',
    labelNames: [...PROCESS],
    registers: [this.registry],
  });
  readonly processes = new Gauge({
    name: 'pytrace_agent_processes',
    help: 'Python processes the agent watches.',
    registers: [this.registry],
  });
  readonly attachments = new Gauge({
    name: 'pytrace_agent_attachments',
    help: 'Python binaries (or, with --pid, processes) attached.',
    registers: [this.registry],
  });
  readonly attachFailures = new Counter({
    name: 'pytrace_agent_attach_failures_total',
    help: 'Attaches that failed, by error code (each also logged).',
    labelNames: ['code'],
    registers: [this.registry],
  });
  readonly events = new Counter({
    name: 'pytrace_agent_events_total',
    help: 'Marker events delivered to the agent (gc, import, audit).',
    registers: [this.registry],
  });
  readonly lost = new Counter({
    name: 'pytrace_agent_events_lost_total',
    help: 'Marker events the kernel or the reader could not keep.',
    registers: [this.registry],
  });
  readonly samplesDelivered = new Counter({
    name: 'pytrace_agent_samples_total',
    help: 'Stack samples delivered to the agent from the processes it samples (each also in pytrace_python_samples_total while its process lives).',
    registers: [this.registry],
  });
  readonly samplesTaken = new Counter({
    name: 'pytrace_agent_samples_taken_total',
    help: 'Samples of a thread of a sampled process the kernel took: each delivered, lost, or an unwind failure.',
    registers: [this.registry],
  });
  readonly samplesLost = new Counter({
    name: 'pytrace_agent_samples_lost_total',
    help: 'Samples walked that the kernel or the reader could not keep.',
    registers: [this.registry],
  });
  readonly unwindFailures = new Counter({
    name: 'pytrace_agent_unwind_failures_total',
    help: 'Samples whose stack walk failed in the kernel (nothing sent), by reason.',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly bpfRunTime = new Counter({
    name: 'pytrace_agent_bpf_run_seconds_total',
    help: "Time the kernel spent running the agent's BPF programs; counted only while kernel.bpf_stats_enabled=1.",
    registers: [this.registry],
  });
  readonly bpfRuns = new Counter({
    name: 'pytrace_agent_bpf_runs_total',
    help: "Runs of the agent's BPF programs; counted only while kernel.bpf_stats_enabled=1.",
    registers: [this.registry],
  });
  readonly reads = new Counter({
    name: 'pytrace_agent_reads_total',
    help: 'Reads of the in-kernel call counts (one per scrape, and one per interval between scrapes).',
    registers: [this.registry],
  });

  /** Per pid, the series it has, by metric: removed together when it exits. */
  private series = new Map<number, Map<Counter | Histogram | Gauge, Map<string, Record<string, string>>>>();

  constructor() {
    // The agent's RSS, CPU time, open files, event loop lag, heap.
    collectDefaultMetrics({ register: this.registry, prefix: 'pytrace_agent_' });
    // Every reason has a series from the start, 0 until it happens.
    for (const reason of Object.values(UNWIND_REASONS)) this.unwindFailures.inc({ reason }, 0);
  }

  /** Adds the samples' health figures of one read. */
  addSampleHealth(h: SampleHealth): void {
    this.samplesDelivered.inc(h.delivered);
    this.samplesTaken.inc(h.taken);
    this.samplesLost.inc(h.lost);
    for (const [k, reason] of Object.entries(UNWIND_REASONS))
      this.unwindFailures.inc({ reason }, h.unwindFailures[k as keyof typeof UNWIND_REASONS]);
  }

  /** Notes that `labels` (with a pid) of `metric` is a series of that process. */
  private note(metric: Counter | Histogram | Gauge, labels: Record<string, string>): void {
    const pid = Number(labels.pid);
    let mine = this.series.get(pid);
    if (!mine) this.series.set(pid, (mine = new Map()));
    let sets = mine.get(metric);
    if (!sets) mine.set(metric, (sets = new Map()));
    const key = JSON.stringify(labels);
    if (!sets.has(key)) sets.set(key, labels);
  }

  add(metric: Counter, labels: Record<string, string>, value: number): void {
    this.note(metric, labels);
    metric.inc(labels, value);
  }

  observe(metric: Histogram, labels: Record<string, string>, seconds: number): void {
    this.note(metric, labels);
    metric.observe(labels, seconds);
  }

  set(metric: Gauge, labels: Record<string, string>, value: number): void {
    this.note(metric, labels);
    metric.set(labels, value);
  }

  /** Every series of process `pid` is gone from the next exposition. */
  removeProcess(pid: number): void {
    for (const [metric, sets] of this.series.get(pid) ?? []) for (const labels of sets.values()) metric.remove(labels);
    this.series.delete(pid);
  }

  /** Processes that have series. */
  get processesWithSeries(): number {
    return this.series.size;
  }
}
