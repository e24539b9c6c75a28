/**
 * A real Prometheus server (Debian's package) for the agent's tests: on
 * loopback, on a free port, scraping one target every second, its storage in
 * a temporary directory that goes with it; and the agent's CLI beside it.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { atCleanup, Child, startChild, sleep } from '../helpers/child';

export const PROMETHEUS = '/usr/bin/prometheus';
export const CLI = path.resolve(__dirname, '../../dist/cli/main.js');

/** A port free right now on 127.0.0.1 (the kernel's choice). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns a value that is not undefined, or throws after `ms` with `what`. */
export async function eventually<T>(check: () => Promise<T | undefined>, ms: number, what: () => string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms: ${what()}`);
    await sleep(100);
  }
}

/** `pytrace serve` on a free port, once it says where it listens. */
export async function startAgent(args: string[] = []): Promise<{ agent: Child; url: string }> {
  const agent = startChild(process.execPath, [CLI, 'serve', '--listen', '127.0.0.1:0', ...args]);
  const m = await agent.waitFor(/listening on (http:\/\/\S+) /, 'stderr', 30000);
  return { agent, url: m[1] };
}

export async function text(url: string): Promise<string> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}: ${await res.text()}`);
  return res.text();
}

export class Prometheus {
  private constructor(
    readonly child: Child,
    readonly url: string,
  ) {}

  /** Starts Prometheus scraping `target` (host:port) every second; resolves once it is ready. */
  static async start(target: string): Promise<Prometheus> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pytrace-prometheus-'));
    atCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
    const config = path.join(dir, 'prometheus.yml');
    fs.writeFileSync(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        'scrape_configs:',
        '  - job_name: pytrace',
        '    static_configs:',
        `      - targets: ['${target}']`,
        '',
      ].join('\n'),
    );
    const listen = `127.0.0.1:${await freePort()}`;
    const child = startChild(PROMETHEUS, [
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=${listen}`,
      '--log.level=warn',
    ]);
    const p = new Prometheus(child, `http://${listen}`);
    await eventually(
      async () => {
        if (!child.running) throw new Error(`prometheus exited: ${child.stderr}`);
        try {
          return (await fetch(`${p.url}/-/ready`)).ok || undefined;
        } catch {
          return undefined; // not listening yet
        }
      },
      30000,
      () => `prometheus ready; stderr: ${child.stderr}`,
    );
    return p;
  }

  /** An instant PromQL query: each series' labels and value. */
  async query(promql: string): Promise<{ metric: Record<string, string>; value: number }[]> {
    const res = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as {
      status: string;
      error?: string;
      data: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (body.status !== 'success') throw new Error(`${promql}: ${body.error}`);
    return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  /** Resolves once a scrape that began after `since` (ms since the epoch) has ended. */
  async scrapedAfter(since: number): Promise<void> {
    await eventually(
      async () => {
        const res = await fetch(`${this.url}/api/v1/targets`);
        const body = (await res.json()) as { data: { activeTargets: { lastScrape: string; health: string }[] } };
        const t = body.data.activeTargets[0];
        return t && t.health === 'up' && Date.parse(t.lastScrape) > since ? true : undefined;
      },
      20000,
      () => `a scrape after ${new Date(since).toISOString()}`,
    );
  }
}
