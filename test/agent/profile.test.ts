/**
 * pytrace serve --pid: /profile?seconds=N is pprof as Go's net/http/pprof
 * serves it (gzipped, application/octet-stream, an attachment), decoded by
 * pprof-format and read by `go tool pprof`; a workload that spends its CPU
 * 3:1 in two functions shows those shares. /metrics of the one process has
 * exactly the calls it made; bad requests are answered, not fatal.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { atCleanup, killStarted, startChild } from '../helpers/child';
import { decodePprof } from '../helpers/profile-readers';
import { eventually, startAgent, text } from './prometheus';
import { PYTHON } from './work';

afterEach(killStarted);

const SCRIPT = path.resolve(__dirname, 'scripts/three_to_one.py');

test('/profile: pprof of the next seconds, leaves 3:1; /metrics: the exact calls of the one process', async () => {
  const py = startChild(PYTHON, [SCRIPT]);
  await py.line((l) => l === 'ready');
  const { agent, url } = await startAgent(['--pid', String(py.pid), '--hz', '499']);
  py.send('go\n');

  const res = await fetch(`${url}/profile?seconds=2`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/octet-stream');
  expect(res.headers.get('content-disposition')).toBe('attachment; filename="profile"');
  const body = Buffer.from(await res.arrayBuffer());
  const { profile, str } = decodePprof(body);
  const leafSamples: Record<string, number> = {};
  const functionName = new Map(profile.function.map((f) => [Number(f.id), str(f.name)]));
  const leafOf = new Map(profile.location.map((l) => [Number(l.id), functionName.get(Number(l.line[0].functionId))]));
  for (const s of profile.sample) {
    const leaf = leafOf.get(Number(s.locationId[0])) ?? '?';
    leafSamples[leaf] = (leafSamples[leaf] ?? 0) + Number(s.value[0]);
    expect(s.label.find((l) => str(l.key) === 'pid')?.num).toBe(py.pid);
  }
  const a = leafSamples.leaf_a ?? 0;
  const b = leafSamples.leaf_b ?? 0;
  // Samples land on leaf_a with p = 0.75. Even on a loaded machine the thread
  // gets a few tenths of a CPU second, at 499 Hz some hundred samples: a share
  // outside 0.6-0.9 is more than four standard deviations off.
  expect(a + b).toBeGreaterThanOrEqual(50);
  const share = a / (a + b);
  expect(share).toBeGreaterThan(0.6);
  expect(share).toBeLessThan(0.9);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pytrace-agent-profile-'));
  atCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'profile.pb.gz');
  fs.writeFileSync(file, body);
  const raw = execFileSync('go', ['tool', 'pprof', '-raw', file], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  expect(raw).toContain('PeriodType: cpu nanoseconds');
  expect(raw).toMatch(/ leaf_a \S*three_to_one\.py:\d+(:\d+)? /); // newer pprof adds the column

  // Stopped: the calls it counted itself, and the kernel's count of them.
  py.send('stop\n');
  const calls = JSON.parse((await py.line((l) => l.startsWith('result '))).slice('result '.length)).parent;
  const series = `pytrace_python_calls_total{pid="${py.pid}",binary="${PYTHON}",file="${SCRIPT}",function="parent"}`;
  let last = '';
  await eventually(
    async () => ((last = await text(`${url}/metrics`)), last.includes(`${series} ${calls}\n`) || undefined),
    10000,
    () => `${series} ${calls}; /metrics has: ${last.split('\n').find((l) => l.startsWith(series.split(',')[0]))}`,
  );

  expect((await fetch(`${url}/profile?seconds=soon`)).status).toBe(400);
  expect((await fetch(`${url}/profile?seconds=1&pid=x`)).status).toBe(400);
  expect((await fetch(`${url}/nothing`)).status).toBe(404);
  agent.kill('SIGTERM');
  expect((await agent.exited).code).toBe(0);
}, 60000);
