/**
 * Bounded cardinality: with --top 5, each of a thousand short-lived Pythons
 * (each enters dozens of functions and raises several audit event names) has
 * at most 5 call series and 5 audit series of its own plus one "(other)",
 * every series goes when its process exits, and the agent's memory does not
 * grow with the processes it has seen: its JS heap's low point (what a
 * collection leaves; sampled at every poll) over the last processes stays
 * within 32 MiB of the one after the warm-up, and its RSS within 512 MiB (RSS
 * alone moves by hundreds of MB between collections on a loaded machine, so
 * it only catches a leak of native memory per process). A leak of
 * per-process state would also show as series left behind.
 */
import { Child, killStarted, sleep, startChild } from '../helpers/child';
import { eventually, startAgent, text } from './prometheus';
import { PYTHON } from './work';

/** Set when the test ends, timed out or not: its loops stop starting processes and polling. */
let over = false;
afterEach(() => {
  over = true;
  return killStarted();
});

const TOP = 5;
const PROCESSES = 1000;
const AT_ONCE = 20;

// Thirty functions, each called i + 1 times, audit events of eight names; then it waits for a line.
const CODE = `
import sys, time
fs = [eval(f"lambda: {i}") for i in range(30)]
for i, f in enumerate(fs):
    for _ in range(i + 1):
        f()
for i in range(8):
    sys.audit(f"pytrace.card_{i}")
print("done", flush=True)
sys.stdin.readline()
`;

interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parse(body: string): Series[] {
  const out: Series[] = [];
  for (const line of body.split('\n')) {
    const m = /^(\w+)\{(.*)\} (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of m[2].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

function rss(body: string): number {
  return Number(/^pytrace_agent_process_resident_memory_bytes (\d+)$/m.exec(body)![1]);
}

function heapUsed(body: string): number {
  return Number(/^pytrace_agent_nodejs_heap_size_used_bytes (\d+)$/m.exec(body)![1]);
}

const WARM_UP = 100;
const LAST = 200;
const MiB = 1024 * 1024;

test(`${PROCESSES} short-lived Pythons: at most ${TOP} + 1 series each, all gone after exit, memory flat`, async () => {
  const { agent, url } = await startAgent(['--top', String(TOP)]);
  // The binary attached first, so each of the others is counted from its first instruction.
  const first = startChild(PYTHON, ['-I', '-S', '-c', CODE]);
  await first.line((l) => l === 'done');
  await eventually(
    async () => (await text(`${url}/metrics`)).includes(`pytrace_python_up{pid="${first.pid}"`) || undefined,
    15000,
    () => 'the first Python attached',
  );
  first.send('\n');

  const ours = new Set<number>();
  /** Processes that are done, until /metrics has shown their calls. */
  const waiting = new Map<number, Child>();
  const seen = new Set<number>();
  let worst = { calls: 0, audit: 0, pid: 0 };
  let rssAfterWarmUp = 0;
  let polling = true;
  let started = 0;
  /** The heap's low points: over processes WARM_UP to 2 x WARM_UP, and over the last LAST. */
  let heapWarm = Infinity;
  let heapLast = Infinity;
  const check = (body: string) => {
    const heap = heapUsed(body);
    if (started >= WARM_UP && started < 2 * WARM_UP) heapWarm = Math.min(heapWarm, heap);
    if (started >= PROCESSES - LAST) heapLast = Math.min(heapLast, heap);
    const perPid = new Map<number, { calls: number; audit: number }>();
    for (const s of parse(body)) {
      const pid = Number(s.labels.pid);
      if (!ours.has(pid)) continue;
      const n = perPid.get(pid) ?? { calls: 0, audit: 0 };
      if (s.name === 'pytrace_python_calls_total') n.calls++;
      if (s.name === 'pytrace_python_audit_events_total') n.audit++;
      perPid.set(pid, n);
    }
    for (const [pid, n] of perPid) {
      if (n.calls > worst.calls || n.audit > worst.audit) worst = { ...n, pid };
      const py = waiting.get(pid);
      if (n.calls && py) {
        seen.add(pid);
        waiting.delete(pid);
        py.send('\n');
      }
    }
  };
  const poller = (async () => {
    while (polling && !over) {
      check(await text(`${url}/metrics`));
      await sleep(50);
    }
  })();

  const one = async (): Promise<void> => {
    while (started < PROCESSES && !over) {
      started++;
      const py = startChild(PYTHON, ['-I', '-S', '-c', CODE]);
      ours.add(py.pid);
      await py.line((l) => l === 'done');
      waiting.set(py.pid, py);
      await py.exited;
      if (started === WARM_UP && !rssAfterWarmUp) rssAfterWarmUp = rss(await text(`${url}/metrics`));
    }
  };
  await Promise.all(Array.from({ length: AT_ONCE }, one));
  polling = false;
  await poller;

  // Every one was seen with its calls (the test let it exit only then), none over the bound.
  expect(seen.size).toBe(PROCESSES);
  expect(worst.calls).toBeLessThanOrEqual(TOP + 1);
  expect(worst.audit).toBeLessThanOrEqual(TOP + 1);
  const body = await eventually(
    async () => {
      const b = await text(`${url}/metrics`);
      return parse(b).some((s) => ours.has(Number(s.labels.pid))) ? undefined : b;
    },
    10000,
    () => 'every series of the exited processes gone',
  );
  expect(heapLast).toBeLessThan(heapWarm + 32 * MiB);
  expect(rss(body)).toBeLessThan(rssAfterWarmUp + 512 * MiB);
  agent.kill('SIGTERM');
  expect((await agent.exited).code).toBe(0);
}, 240_000);
