/**
 * Where the build fires no call markers (Debian's 3.13, in a container
 * root), the agent samples the process all along: /metrics has on-CPU
 * samples per innermost function, and a workload that spends its CPU 3:1 in
 * two functions shows those shares; it has no call series there.
 */
import * as fs from 'fs';
import * as path from 'path';
import { build, BUILD_TIMEOUT_MS, ensureBuilds, IN_ROOT, startIn } from '../helpers/builds';
import { killStarted } from '../helpers/child';
import { eventually, startAgent, text } from './prometheus';

beforeAll(ensureBuilds, BUILD_TIMEOUT_MS);
afterEach(killStarted);

test('3.13 in a container: samples per function from the sampler, 3:1 within 0.6-0.9', async () => {
  const b = build('3.13');
  fs.mkdirSync(path.join(b.root, IN_ROOT), { recursive: true });
  fs.copyFileSync(path.resolve(__dirname, 'scripts/three_to_one.py'), path.join(b.root, IN_ROOT, 'three_to_one.py'));
  const py = await startIn(b, 'three_to_one.py', [], { isolation: 'container' });
  const { agent, url } = await startAgent(['--hz', '499']);
  py.go();
  const file = path.posix.join(IN_ROOT, 'three_to_one.py');
  const leaves = (body: string) => {
    const n = (fn: string) =>
      Number(
        new RegExp(
          `^pytrace_python_samples_total\\{pid="${py.pid}",binary="[^"]*",file="${file}",function="${fn}"\\} (\\d+)$`,
          'm',
        ).exec(body)?.[1] ?? 0,
      );
    return { a: n('leaf_a'), b: n('leaf_b') };
  };
  // At 499 Hz, 200 samples are 0.4 s of its CPU time, however long that takes on a loaded machine.
  let last = '';
  const body = await eventually(
    async () => {
      last = await text(`${url}/metrics`);
      const { a, b } = leaves(last);
      return a + b >= 200 ? last : undefined;
    },
    30000,
    () => `200 samples of pid ${py.pid}: ${JSON.stringify(leaves(last))}`,
  );
  const { a, b: bSamples } = leaves(body);
  // p = 0.75 per sample: with at least 200, outside 0.6-0.9 is five standard deviations off.
  const share = a / (a + bSamples);
  expect(share).toBeGreaterThan(0.6);
  expect(share).toBeLessThan(0.9);
  expect(body).not.toContain(`pytrace_python_calls_total{pid="${py.pid}"`);
  expect(body).toMatch(new RegExp(`^pytrace_python_up\\{pid="${py.pid}",binary="/usr/bin/python3.13"\\} 1$`, 'm'));
  agent.kill('SIGTERM');
  expect((await agent.exited).code).toBe(0);
}, 60000);
