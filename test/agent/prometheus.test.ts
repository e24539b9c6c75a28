/**
 * pytrace serve, scraped every second by a real Prometheus, while three
 * Pythons of known behaviour run: one started before the agent, one in a
 * container root (also before), one started after the agent (watched from
 * its first instruction). PromQL through Prometheus's HTTP API gives exactly
 * the calls, collections, collected objects, imports, import failures and
 * audit events each made; a process that exits leaves /metrics.
 */
import { BUILD_TIMEOUT_MS, ensureBuilds } from '../helpers/builds';
import { killStarted } from '../helpers/child';
import { eventually, Prometheus, startAgent, text } from './prometheus';
import { Expected, startContainer, startHost, WorkPython } from './work';

beforeAll(ensureBuilds, BUILD_TIMEOUT_MS);
afterEach(killStarted);

/** What Prometheus has of process `pid`, in the shape of Expected. */
async function observed(prom: Prometheus, py: WorkPython): Promise<Expected> {
  const sel = `pid="${py.pid}"`;
  const one = async (q: string) => (await prom.query(q)).reduce((n, r) => n + r.value, 0);
  const byGeneration = async (q: string) =>
    Object.fromEntries((await prom.query(q)).filter((r) => r.value > 0).map((r) => [r.metric.generation, r.value]));
  const gcCollections = await byGeneration(`pytrace_python_gc_duration_seconds_count{${sel}}`);
  const gcCollected: Record<string, number> = {};
  for (const r of await prom.query(`pytrace_python_gc_collected_objects_total{${sel}}`))
    if (gcCollections[r.metric.generation]) gcCollected[r.metric.generation] = r.value;
  return {
    calls: await one(`pytrace_python_calls_total{${sel},file="${py.file}",function="counted"}`),
    gcCollections,
    gcCollected,
    imports: await one(`pytrace_python_import_duration_seconds_count{${sel}}`),
    importFailures: await one(`pytrace_python_import_failures_total{${sel}}`),
    audits: await one(`pytrace_python_audit_events_total{${sel},event="pytrace.agent_test"}`),
  };
}

/** Polls /metrics until `done` accepts it. */
function metricsUntil(url: string, done: (body: string) => boolean, what: string): Promise<string> {
  let last = '';
  return eventually(
    async () => {
      last = await text(`${url}/metrics`);
      return done(last) ? last : undefined;
    },
    15000,
    () => `${what}; last /metrics:\n${last.slice(0, 4000)}`,
  );
}

test('Prometheus scrapes exactly what three Pythons did, one in a container, one started after the agent', async () => {
  const early = await startHost({ calls: 1500, gcRounds: 1, audits: 7, missing: 2, modules: ['decimal'] }, false);
  const contained = await startContainer({ calls: 3500, gcRounds: 3, audits: 13, missing: 1, modules: ['decimal'] });
  // A bound high enough that the late one's start-up functions leave counted() a series of its own.
  const { agent, url } = await startAgent(['--top', '500']);
  const up = (py: WorkPython) => (body: string) =>
    new RegExp(`^pytrace_python_up\\{pid="${py.pid}",.*\\} 1$`, 'm').test(body);
  await metricsUntil(url, (b) => up(early)(b) && up(contained)(b), 'both early Pythons attached');
  const prom = await Prometheus.start(new URL(url).host);
  const late = await startHost({ calls: 2500, gcRounds: 2, audits: 11, missing: 3, modules: ['fractions'] }, true);
  const all = [early, contained, late];
  for (const py of all) py.go();
  await Promise.all(all.map((py) => py.done()));
  await prom.scrapedAfter(Date.now());

  // The scrape after "done" has every count; events still on their way get a few more.
  for (const py of all) {
    const want = py.expected();
    let got: Expected | undefined;
    await eventually(
      async () => ((got = await observed(prom, py)), JSON.stringify(got) === JSON.stringify(want) || undefined),
      15000,
      () => `pid ${py.pid}: want ${JSON.stringify(want)}, Prometheus has ${JSON.stringify(got)}`,
    ).catch(() => undefined);
    expect({ pid: py.pid, ...got }).toEqual({ pid: py.pid, ...want });
  }
  const binaries = await prom.query(`count by (binary) (pytrace_python_up{pid=~"${all.map((p) => p.pid).join('|')}"})`);
  expect(binaries.map((r) => [r.metric.binary, r.value])).toEqual([['/usr/bin/python3.11', 3]]);

  // A process that exits: its series leave /metrics at the next read.
  early.child.kill();
  await early.child.exited;
  await metricsUntil(url, (b) => !b.includes(`pid="${early.pid}"`), `pid ${early.pid}'s series gone`);
  const body = await text(`${url}/metrics`);
  expect(body).toContain(`pid="${late.pid}"`);

  agent.kill('SIGTERM');
  expect((await agent.exited).code).toBe(0);
}, 60000);
