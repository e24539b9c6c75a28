/**
 * Bounded cardinality: with --top 5, each of 200 short-lived Pythons (each
 * enters dozens of functions and raises several audit event names) has at
 * most 5 call series and 5 audit series of its own plus one "(other)",
 * every series goes when its process exits, and the agent's memory does not
 * grow with the processes it has seen. (200, not the thousand of a long
 * soak, keeps the test about 12 s long in CI; 1000, 20 at a time, took 52-64 s
 * on a loaded 2-CPU machine, and once ended with RSS 250 MB above the
 * warm-up's while the heap in use settles at a few MB: a thousand would
 * need a bound on the heap after a collection, not on RSS. A leak of
 * per-process state would show as series left behind.)
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
const PROCESSES = 200;
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
  const check = (body: string) => {
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

  let started = 0;
  const one = async (): Promise<void> => {
    while (started < PROCESSES && !over) {
      started++;
      const py = startChild(PYTHON, ['-I', '-S', '-c', CODE]);
      ours.add(py.pid);
      await py.line((l) => l === 'done');
      waiting.set(py.pid, py);
      await py.exited;
      if (started === 50 && !rssAfterWarmUp) rssAfterWarmUp = rss(await text(`${url}/metrics`));
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
  // Generous: the heap may settle higher after the first processes, not by a copy of each.
  expect(rss(body)).toBeLessThan(rssAfterWarmUp + 64 * 1024 * 1024);
  agent.kill('SIGTERM');
  expect((await agent.exited).code).toBe(0);
}, 60000);
