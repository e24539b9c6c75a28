/**
 * Where the build fires no call markers (Debian's 3.13, in a container
 * root), the agent samples the process all along: /metrics has on-CPU
 * samples per innermost function, and a workload that spends its CPU 3:1 in
 * two functions shows those shares; it has no call series there. With
 * --no-calls, the same for a build that has call markers (3.11 here), and
 * the agent's health: samples delivered are exactly the samples counted per
 * function, taken ones are delivered, lost or unwind failures, and the BPF
 * time of its programs grows while kernel.bpf_stats_enabled=1.
 */
import * as fs from 'fs';
import * as path from 'path';
import { build, BUILD_TIMEOUT_MS, ensureBuilds, IN_ROOT, startIn } from '../helpers/builds';
import { atCleanup, killStarted, startChild } from '../helpers/child';
import { eventually, startAgent, text } from './prometheus';
import { PYTHON } from './work';

const SCRIPT = path.resolve(__dirname, 'scripts/three_to_one.py');

beforeAll(ensureBuilds, BUILD_TIMEOUT_MS);
afterEach(killStarted);

/** leaf_a's and leaf_b's samples of process `pid` in a /metrics body. */
function leavesOf(pid: number, file: string): (body: string) => { a: number; b: number } {
  return (body) => {
    const n = (fn: string) =>
      Number(
        new RegExp(
          `^pytrace_python_samples_total\\{pid="${pid}",binary="[^"]*",file="${file}",function="${fn}"\\} (\\d+)$`,
          'm',
        ).exec(body)?.[1] ?? 0,
      );
    return { a: n('leaf_a'), b: n('leaf_b') };
  };
}

/** The value of the series `name{labels}` (no labels: `name`) in a /metrics body; NaN if absent. */
function valueOf(body: string, name: string, labels = ''): number {
  const line = body.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
}

/** The sum of every series of `name` (with labels). */
function sumOf(body: string, name: string): number {
  return body
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

const BPF_STATS = '/proc/sys/kernel/bpf_stats_enabled';

/** Polls /metrics until it has `want` samples of the two leaves; returns that body. */
function samplesUntil(url: string, want: number, leaves: (body: string) => { a: number; b: number }): Promise<string> {
  let last = '';
  return eventually(
    async () => {
      last = await text(`${url}/metrics`);
      const { a, b } = leaves(last);
      return a + b >= want ? last : undefined;
    },
    30000,
    () => `${want} samples: ${JSON.stringify(leaves(last))}`,
  );
}

test('3.13 in a container: samples per function from the sampler, 3:1 within 0.6-0.9', async () => {
  const b = build('3.13');
  fs.mkdirSync(path.join(b.root, IN_ROOT), { recursive: true });
  fs.copyFileSync(SCRIPT, path.join(b.root, IN_ROOT, 'three_to_one.py'));
  const py = await startIn(b, 'three_to_one.py', [], { isolation: 'container' });
  const { agent, url } = await startAgent(['--hz', '499']);
  py.go();
  const file = path.posix.join(IN_ROOT, 'three_to_one.py');
  const leaves = leavesOf(py.pid, file);
  // At 499 Hz, 200 samples are 0.4 s of its CPU time, however long that takes on a loaded machine.
  const body = await samplesUntil(url, 200, leaves);
  const { a, b: bSamples } = leaves(body);
  // p = 0.75 per sample: with at least 200, outside 0.6-0.9 is five standard deviations off.
  const share = a / (a + bSamples);
  expect(share).toBeGreaterThan(0.6);
  expect(share).toBeLessThan(0.9);
  expect(body).not.toContain(`pytrace_python_calls_total{pid="${py.pid}"`);
  expect(body).toMatch(new RegExp(`^pytrace_python_up\\{pid="${py.pid}",binary="/usr/bin/python3.13"\\} 1$`, 'm'));
  // Other sampled Pythons on the host may add theirs: exactness is the --pid test's.
  expect(valueOf(body, 'pytrace_agent_samples_total')).toBeGreaterThanOrEqual(a + bSamples);
  agent.kill('SIGTERM');
  expect((await agent.exited).code).toBe(0);
}, 60000);

test('--no-calls: 3.11, which has call markers, is sampled instead of counted; the health metrics add up', async () => {
  const statsBefore = fs.readFileSync(BPF_STATS, 'utf8');
  atCleanup(() => fs.writeFileSync(BPF_STATS, statsBefore));
  fs.writeFileSync(BPF_STATS, '1');
  const py = startChild(PYTHON, [SCRIPT]);
  await py.line((l) => l === 'ready');
  const { agent, url } = await startAgent(['--hz', '499', '--no-calls', '--pid', String(py.pid)]);
  py.send('go\n');
  const leaves = leavesOf(py.pid, SCRIPT);
  const body = await samplesUntil(url, 200, leaves);
  const { a, b } = leaves(body);
  // As above: p = 0.75, at least 200 samples.
  expect(a / (a + b)).toBeGreaterThan(0.6);
  expect(a / (a + b)).toBeLessThan(0.9);
  expect(body).not.toContain('pytrace_python_calls_total{');

  // One process, alive: every sample delivered is in its per-function series, read in the same read.
  const delivered = valueOf(body, 'pytrace_agent_samples_total');
  expect(delivered).toBe(sumOf(body, 'pytrace_python_samples_total'));
  const runs = valueOf(body, 'pytrace_agent_bpf_runs_total');
  const runSeconds = valueOf(body, 'pytrace_agent_bpf_run_seconds_total');
  // The sampler's program ran for each of those samples, while the stats were on.
  expect(runs).toBeGreaterThanOrEqual(a + b);
  expect(runSeconds).toBeGreaterThan(0);

  // Once it has exited and its profile is closed, the figures are final:
  // every sample taken was delivered, lost or an unwind failure.
  py.kill('SIGKILL');
  await py.exited;
  await eventually(
    async () => ((await text(`${url}/metrics`)).includes(`pid="${py.pid}"`) ? undefined : true),
    10000,
    () => `pid ${py.pid}'s series gone`,
  );
  const after = await text(`${url}/metrics`); // the read after its profile closed
  const taken = valueOf(after, 'pytrace_agent_samples_taken_total');
  const failures = sumOf(after, 'pytrace_agent_unwind_failures_total');
  expect(after).toMatch(/^pytrace_agent_unwind_failures_total\{reason="stale_frame"\} \d+$/m);
  expect(valueOf(after, 'pytrace_agent_samples_total')).toBeGreaterThanOrEqual(delivered);
  expect(taken).toBeGreaterThan(0);
  expect(taken).toBe(
    valueOf(after, 'pytrace_agent_samples_total') + valueOf(after, 'pytrace_agent_samples_lost_total') + failures,
  );
  // Its programs are unloaded: the totals keep what they ran.
  expect(valueOf(after, 'pytrace_agent_bpf_runs_total')).toBeGreaterThanOrEqual(runs);
  expect(valueOf(after, 'pytrace_agent_bpf_run_seconds_total')).toBeGreaterThanOrEqual(runSeconds);
  agent.kill('SIGTERM');
  expect((await agent.exited).code).toBe(0);
}, 60000);
