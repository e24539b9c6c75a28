/**
 * serve(): the host agent. Watches every Python with markers on the host (or
 * the given processes) and serves /metrics (Prometheus text format, written
 * by prom-client) and /profile (pprof, as Go's net/http/pprof serves it).
 * Each scrape reads the in-kernel call counts since the previous read and
 * adds them to monotonic counters; a periodic read in between keeps the
 * processes found and their exits current when nobody scrapes.
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { PytraceError } from '../errors';
import { printable } from '../cli/escape';
import { Attachments } from './attachments';
import { BpfTime } from './bpf-time';
import { BoundedNames, OTHER } from './bounded-names';
import { PythonProcesses } from './discovery';
import { EventMetrics } from './event-metrics';
import { AgentMetrics } from './metrics';
import { SampledProcesses } from './samples';
import { BadRequest, parseProfileQuery, sampledPprof, sendPprof } from './profile-endpoint';

export interface ServeOptions {
  /** host:port to listen on; default 127.0.0.1:9464 (port 0: any free port). */
  listen?: string;
  /** /profile's sampling rate, samples a second of CPU time. Default 99. */
  hz?: number;
  /** Only these processes; default every Python with markers on the host, later ones included. */
  pids?: number[];
  /**
   * Calls counted in the kernel where the build fires call markers (the default): exact, at the cost of a
   * uprobe trap on every call. false: on-CPU samples per function in every process instead, at --hz.
   */
  callCounts?: boolean;
  /** Per process, the functions (and audit event names) with a series of their own; default 50. */
  top?: number;
  /** How often the agent looks for new and exited processes between scrapes, in ms; default 1000. */
  scanIntervalMs?: number;
  /** Where log lines go (attach failures); default stderr. */
  log?: (line: string) => void;
}

export const SERVE_DEFAULTS = { listen: '127.0.0.1:9464', hz: 99, top: 50, scanIntervalMs: 1000 } as const;

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(listen);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535)
    throw new PytraceError(
      'PYTRACE_BAD_OPTION',
      `listen takes host:port (127.0.0.1:9464, [::1]:9464, :9464 for every address), not ${JSON.stringify(listen)}.`,
    );
  return { host: m[1] ?? (m[2] || '::'), port };
}

function positiveInteger(name: string, v: number | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!Number.isInteger(v) || v <= 0)
    throw new PytraceError('PYTRACE_BAD_OPTION', `${name} takes a positive integer, not ${String(v)}.`);
  return v;
}

export class Agent {
  readonly metrics = new AgentMetrics();
  address!: AddressInfo;
  private server?: http.Server;
  private timer?: NodeJS.Timeout;
  private processes: PythonProcesses;
  private attachments: Attachments;
  private events: EventMetrics;
  private callNames: BoundedNames;
  private sampleNames: BoundedNames;
  private samples: SampledProcesses;
  private bpfTime = new BpfTime();
  private refreshing: Promise<void> = Promise.resolve();
  private closing?: Promise<void>;
  readonly hz: number;

  /** Use serve(). */
  constructor(
    private readonly options: ServeOptions,
    private readonly log: (line: string) => void,
  ) {
    const top = positiveInteger('top', options.top, SERVE_DEFAULTS.top);
    this.hz = positiveInteger('hz', options.hz, SERVE_DEFAULTS.hz);
    this.callNames = new BoundedNames(top);
    this.sampleNames = new BoundedNames(top);
    const callCounts = options.callCounts ?? true;
    this.samples = new SampledProcesses(this.hz, !callCounts, (what, e) => this.failed(what, e));
    this.processes = new PythonProcesses(options.pids);
    this.events = new EventMetrics(this.metrics, top, (pid) => this.labelsOf(pid));
    this.attachments = new Attachments(options.pids !== undefined, callCounts, {
      event: (ev) => this.events.see(ev),
      lost: (n) => this.metrics.lost.inc(n),
      failed: (what, e) => this.failed(what, e),
    });
  }

  /** The address as a URL. */
  get url(): string {
    const { address, family, port } = this.address;
    return `http://${family === 'IPv6' ? `[${address}]` : address}:${port}`;
  }

  private labelsOf(pid: number): { pid: string; binary: string } | null {
    const p = this.processes.lookup(pid);
    return p ? { pid: String(pid), binary: p.binary } : null;
  }

  private failed(what: string, e: unknown): void {
    const code = e instanceof PytraceError ? e.code : 'UNKNOWN';
    this.metrics.attachFailures.inc({ code });
    this.log(`cannot attach to ${printable(what)}: ${printable(e instanceof Error ? e.message : String(e))} [${code}]`);
  }

  /** @internal */
  async start(): Promise<void> {
    await this.attachments.start();
    await this.refresh();
    const { host, port } = parseListen(this.options.listen ?? SERVE_DEFAULTS.listen);
    const server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) =>
        reject(new PytraceError('PYTRACE_BAD_OPTION', `Cannot listen on ${host}:${port}: ${e.message}.`)),
      );
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    this.address = server.address() as AddressInfo;
    const interval = positiveInteger('scanIntervalMs', this.options.scanIntervalMs, SERVE_DEFAULTS.scanIntervalMs);
    this.timer = setInterval(() => void this.refresh(), interval);
  }

  /** Finds new and exited processes, reads the call counts into the counters. One at a time. */
  refresh(): Promise<void> {
    this.refreshing = this.refreshing.then(() => this.refreshOnce()).catch((e) => this.log(`read failed: ${e}`));
    return this.refreshing;
  }

  private async refreshOnce(): Promise<void> {
    if (this.closing) return;
    const { exited } = this.processes.scan();
    for (const p of this.processes.all()) {
      await this.attachments.cover(p);
      await this.samples.cover(p);
    }
    const counts = this.attachments.readCalls();
    this.metrics.reads.inc();
    const m = this.metrics;
    for (const c of this.callNames.assign(counts, (c) => `${c.filename}\u0000${c.function}`)) {
      const labels = this.labelsOf(c.pid);
      if (!labels) continue; // exited since the last scan: its series go now
      const [file, fn] = c.key === OTHER ? [OTHER, OTHER] : c.key.split('\u0000');
      m.add(m.calls, { ...labels, file, function: fn }, c.count);
    }
    const sampled = this.samples.read();
    m.addSampleHealth(sampled.health);
    for (const c of this.sampleNames.assign(sampled.counts, (c) => `${c.filename}\u0000${c.function}`)) {
      const labels = this.labelsOf(c.pid);
      if (!labels) continue;
      const [file, fn] = c.key === OTHER ? [OTHER, OTHER] : c.key.split('\u0000');
      m.add(m.samples, { ...labels, file, function: fn }, c.count);
    }
    // Before the programs of exited processes are unloaded.
    const bpf = this.bpfTime.read();
    m.bpfRunTime.inc(bpf.ns / 1e9);
    m.bpfRuns.inc(bpf.runs);
    for (const p of exited) {
      m.removeProcess(p.pid);
      this.sampleNames.forget(p.pid);
      await this.samples.exited(p.pid);
      this.events.forget(p.pid);
      this.callNames.forget(p.pid);
      await this.attachments.exited(p.pid);
    }
    let covered = 0;
    for (const p of this.processes.all()) {
      const up = this.attachments.covers(p) ? 1 : 0;
      m.set(m.up, { pid: String(p.pid), binary: p.binary }, up);
      covered += up;
    }
    m.processes.set(covered);
    m.attachments.set(this.attachments.count);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://agent');
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new BadRequest('only GET', 405);
      if (url.pathname === '/metrics') {
        await this.refresh();
        const body = await this.metrics.registry.metrics();
        res.writeHead(200, { 'Content-Type': this.metrics.registry.contentType });
        res.end(body);
      } else if (url.pathname === '/profile') {
        const { seconds, pid } = parseProfileQuery(url.searchParams);
        const pids = pid !== undefined ? [pid] : this.processes.all().map((p) => p.pid);
        if (!pids.length) throw new BadRequest('no Python process to profile', 404);
        const body = await sampledPprof(pids, seconds, this.hz, (p, e) => this.failed(`pid ${p}: samples`, e));
        sendPprof(res, body);
      } else if (url.pathname === '/') {
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('pytrace agent\n/metrics     Prometheus metrics\n/profile?seconds=N[&pid=P]  pprof CPU profile\n');
      } else throw new BadRequest('not found', 404);
    } catch (e) {
      const status = e instanceof BadRequest ? e.status : e instanceof PytraceError ? 400 : 500;
      const message = e instanceof PytraceError ? `${e.message} [${e.code}]` : (e as Error).message;
      if (!res.headersSent) res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(message + '\n');
    }
  }

  /** Stops serving and detaches everything. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.timer);
      await this.refreshing;
      if (this.server) {
        this.server.closeAllConnections();
        await new Promise((r) => this.server!.close(r));
      }
      await this.attachments.close();
      await this.samples.close();
    })();
    return this.closing;
  }
}

/** Starts the agent; resolves once it has attached to what it found and listens. */
export async function serve(options: ServeOptions = {}): Promise<Agent> {
  const log = options.log ?? ((line: string) => process.stderr.write(`pytrace serve: ${line}\n`));
  const agent = new Agent(options, log);
  try {
    await agent.start();
  } catch (e) {
    await agent.close();
    throw e;
  }
  return agent;
}
