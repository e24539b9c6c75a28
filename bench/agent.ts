/**
 * The host agent's own cost: `pytrace serve` (the CLI, in a process of its
 * own) watching 1, 10 and 50 idle Pythons: its CPU time per scrape of
 * /metrics (scrapes back to back) and per second when nobody scrapes (its own
 * reads, one a second); and, side by side in interleaved rounds, a busy
 * Python's call rate with nothing running, with the agent (calls counted in
 * the kernel: a uprobe trap per call) and with the agent --no-calls (sampled).
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { PausedPython, sleep } from './workload';

const CLI = path.resolve(__dirname, '..', '..', '..', 'dist', 'cli', 'main.js');
const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

export interface AgentRow {
  pythons: number;
  /** CPU time of the agent per /metrics scrape, ms. */
  msPerScrape: number;
  /** CPU time of the agent per second with nobody scraping, ms. */
  msPerIdleSecond: number;
  /** Bytes of one /metrics body. */
  bytes: number;
}

export interface AgentResults {
  rows: AgentRow[];
  /** A busy Python's calls a second, best of the rounds: with nothing running, and with the agent. */
  untracedCallsPerSecond: number;
  agentCallsPerSecond: number;
  /** With --no-calls: on-CPU samples at 99 Hz instead of counted calls. */
  sampledCallsPerSecond: number;
}

/** utime + stime of `pid`, in ms. */
function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / TICKS;
}

async function startAgent(args: string[] = []): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--listen', '127.0.0.1:0', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  for (const end = Date.now() + 30000; Date.now() < end; await sleep(20)) {
    const m = /listening on (http:\/\/\S+) /.exec(err);
    if (m) return { child, url: m[1] };
    if (child.exitCode !== null) break;
  }
  child.kill('SIGKILL');
  throw new Error(`pytrace serve did not start: ${err.trim()}`);
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function idlePythons(python: string, n: number): Promise<ChildProcess[]> {
  const out: ChildProcess[] = [];
  for (let i = 0; i < n; i++) out.push(spawn(python, ['-c', 'import sys; sys.stdin.read()'], { stdio: 'pipe' }));
  await sleep(300);
  return out;
}

async function oneRow(python: string, pythons: number, scrapes: number): Promise<AgentRow> {
  const idle = await idlePythons(python, pythons);
  const { child, url } = await startAgent();
  try {
    await sleep(1500); // every idle Python found and attached
    let bytes = (await (await fetch(`${url}/metrics`)).text()).length;
    const before = cpuMs(child.pid!);
    for (let i = 0; i < scrapes; i++) bytes = (await (await fetch(`${url}/metrics`)).text()).length;
    const msPerScrape = (cpuMs(child.pid!) - before) / scrapes;
    const quiet = cpuMs(child.pid!);
    await sleep(3000);
    return { pythons, msPerScrape, msPerIdleSecond: (cpuMs(child.pid!) - quiet) / 3, bytes };
  } finally {
    await stop(child);
    for (const p of idle) p.kill('SIGKILL');
  }
}

async function busyRate(python: string, calls: number, agentArgs: string[] | null): Promise<number> {
  const idle = await idlePythons(python, 1); // so the binary is attached before the workload starts
  const agent = agentArgs ? await startAgent(agentArgs) : null;
  try {
    if (agent) await sleep(1500);
    const w = await PausedPython.start(python, ['calls', calls]);
    w.release();
    const r = await w.result();
    return r.calls / r.seconds;
  } finally {
    if (agent) await stop(agent.child);
    for (const p of idle) p.kill('SIGKILL');
  }
}

export async function agentSection(
  python: string,
  calls: number,
  rounds: number,
  log: (s: string) => void,
): Promise<AgentResults> {
  const rows: AgentRow[] = [];
  for (const n of [1, 10, 50]) {
    const row = await oneRow(python, n, 50);
    log(
      `agent: ${n} Pythons: ${row.msPerScrape.toFixed(2)} ms CPU per scrape, ${row.msPerIdleSecond.toFixed(2)} ms/s idle`,
    );
    rows.push(row);
  }
  const untraced: number[] = [];
  const watched: number[] = [];
  const sampled: number[] = [];
  for (let r = 0; r < rounds; r++) {
    untraced.push(await busyRate(python, calls, null));
    watched.push(await busyRate(python, calls, []));
    sampled.push(await busyRate(python, calls, ['--no-calls']));
    log(
      `agent: round ${r + 1}: ${[untraced, watched, sampled].map((x) => (x[r] / 1e6).toFixed(2)).join(' / ')} M calls/s`,
    );
  }
  return {
    rows,
    untracedCallsPerSecond: Math.max(...untraced),
    agentCallsPerSecond: Math.max(...watched),
    sampledCallsPerSecond: Math.max(...sampled),
  };
}

export function renderAgent(r: AgentResults): string {
  const lines = ['', 'Host agent (pytrace serve): its own CPU, and a busy Python under it, same run'];
  lines.push('  Pythons  ms CPU/scrape  ms CPU/s idle  /metrics bytes');
  for (const x of r.rows)
    lines.push(
      `  ${String(x.pythons).padStart(7)}  ${x.msPerScrape.toFixed(2).padStart(13)}  ${x.msPerIdleSecond.toFixed(2).padStart(13)}  ${String(x.bytes).padStart(14)}`,
    );
  const one = r.rows[0];
  const many = r.rows[r.rows.length - 1];
  lines.push(
    `  CPU per scrape, ${many.pythons} Pythons / ${one.pythons}: ${(many.msPerScrape / one.msPerScrape).toFixed(2)}`,
    `  busy Python, M calls/s: nothing ${(r.untracedCallsPerSecond / 1e6).toFixed(2)}, agent ${(r.agentCallsPerSecond / 1e6).toFixed(2)} (ratio ${(r.agentCallsPerSecond / r.untracedCallsPerSecond).toFixed(3)}), agent --no-calls ${(r.sampledCallsPerSecond / 1e6).toFixed(2)} (ratio ${(r.sampledCallsPerSecond / r.untracedCallsPerSecond).toFixed(3)})`,
  );
  return lines.join('\n') + '\n';
}
