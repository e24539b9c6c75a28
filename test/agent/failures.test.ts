/**
 * Failures the agent lives through. A binary whose calls the kernel refuses
 * to count (another tracer's uprobe on its entry marker, with another
 * semaphore) is a metric and a line on stderr, and the agent goes on
 * counting the other Pythons exactly. A binary whose only path went with its
 * process before the attach is tried again with the next process of it
 * (before the fix it was given up for good: no process of it was ever counted).
 */
import * as fs from 'fs';
import { Attachments } from '../../lib/agent/attachments';
import { describeBinary } from '../../lib/discovery/describe';
import { NativeTrace } from '../../lib/native';
import { targetsFor } from '../../lib/planning/targets';
import { killStarted, privatePython, startChild } from '../helpers/python';
import { eventually, startAgent, text } from './prometheus';
import { PYTHON, startHost, WORK } from './work';

afterEach(killStarted);

test('an attach the kernel refuses is counted and logged; the other Pythons are still counted exactly', async () => {
  // A private copy: the conflict concerns its inode alone.
  const copy = privatePython();
  const blocked = startChild(copy, ['-c', 'import sys; print("ready", flush=True); sys.stdin.read()']);
  await blocked.line((l) => l === 'ready');
  const entry = targetsFor(describeBinary(copy), ['function-entry'], undefined, 'count').find((t) => t.refCtrOffset);
  const blocker = new NativeTrace(
    {
      pid: -1,
      transport: 'ring',
      ringBytes: 1 << 16,
      wakeupBytes: 0,
      drainMs: 5,
      minDrainGapUs: 250,
      batchBytes: 4096,
      maxPendingBatches: 1,
      dropWhenBehind: false,
      perfPages: 1,
    },
    () => undefined,
  );
  try {
    blocker.attach([{ ...entry!, pid: -1, refCtrOffset: 0 }]);
    const { agent, url } = await startAgent(['--top', '500']);
    const escaped = `${copy} (pid ${blocked.pid}): call counts: `.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    await agent.waitFor(
      new RegExp(`^pytrace serve: cannot attach to ${escaped}.*\\[PYTRACE_ATTACH_FAILED\\]$`, 'm'),
      'stderr',
    );
    const late = await startHost({ calls: 777, gcRounds: 0, audits: 0, missing: 0, modules: [] }, true);
    await eventually(
      async () =>
        new RegExp(`^pytrace_python_up\\{pid="${late.pid}",.*\\} 1$`, 'm').test(await text(`${url}/metrics`)) ||
        undefined,
      15000,
      () => `pid ${late.pid} attached`,
    );
    late.go();
    await late.done();
    const series = `pytrace_python_calls_total{pid="${late.pid}",binary="${PYTHON}",file="${WORK}",function="counted"}`;
    let last = '';
    await eventually(
      async () => ((last = await text(`${url}/metrics`)), last.includes(`${series} 777\n`) || undefined),
      15000,
      () => `${series} 777 in:\n${last.slice(0, 3000)}`,
    );
    expect(last).toMatch(/^pytrace_agent_attach_failures_total\{code="PYTRACE_ATTACH_FAILED"\} [1-9]/m);
    agent.kill('SIGTERM');
    expect((await agent.exited).code).toBe(0);
  } finally {
    blocker.close();
  }
}, 60000);

test('a binary whose process went before the attach is attached with the next process of it', async () => {
  const st = fs.statSync(PYTHON);
  const fileKey = `${st.dev}:${st.ino}`;
  const failures: string[] = [];
  const a = new Attachments(false, true, {
    event: () => undefined,
    lost: () => undefined,
    failed: (w) => failures.push(w),
  });
  await a.start();
  try {
    const gone = { pid: 999_999_999, binary: PYTHON, hostPath: `/proc/999999999/root${PYTHON}`, fileKey };
    await a.cover(gone);
    expect(a.covers(gone)).toBe(false);
    const next = { ...gone, pid: process.pid, hostPath: PYTHON };
    await a.cover(next);
    expect({ covered: a.covers(next), failures }).toEqual({ covered: true, failures: [] });
  } finally {
    await a.close();
  }
});
