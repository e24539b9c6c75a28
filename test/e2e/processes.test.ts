/**
 * Processes that change under the trace. fork: with `subprocesses`, a
 * multiprocessing pool's workers are traced from their first instruction
 * (each worker's events are exactly the calls it reports) and each ends with
 * its own `exit`; without, the workers run untraced, their inherited
 * semaphores at 0 and their loop many times faster than the traced parent's.
 * exec: into the same Python, the calls on both sides exactly, and what was
 * known of the process reset; into a program that is not a Python, that
 * process's trace ends with the reason.
 */
import * as fs from 'fs';
import { attach, ExecEvent, ExitEvent, ForkEvent, probes, Trace, TraceEvent } from '../../lib/index';
import {
  expectedSemaphores,
  killStarted,
  privatePython,
  PYTHON,
  script,
  semaphores,
  startPython,
  until,
  within,
} from '../helpers/python';
import { readSemaphore } from '../helpers/target-memory';

afterEach(killStarted);

const WORKERS = 3;
const CALLS = 100000;

interface PoolResult {
  parent: number;
  pids: Record<string, { calls: number; semaphores: Record<string, number>; seconds: number[] }>;
}

/** Every marker semaphore's address in `pid`, by marker name. */
function semaphoreAddresses(pid: number): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const loc of probes(pid))
    if (loc.provider === 'python' && loc.semaphoreAddress !== undefined) out[loc.name] = loc.semaphoreAddress;
  return out;
}

const readAll = (pid: number, addresses: Record<string, bigint>) =>
  Object.fromEntries(Object.entries(addresses).map(([name, a]) => [name, readSemaphore(pid, a)]));

/** What a trace says about processes, and work() entries per pid, until 'close'. */
class ProcessLog {
  readonly forks: ForkEvent[] = [];
  readonly execs: ExecEvent[] = [];
  readonly exits: ExitEvent[] = [];
  readonly calls = new Map<number, number>();
  readonly order: string[] = [];
  readonly closed: Promise<void>;

  constructor(trace: Trace, counted = 'work') {
    trace.on('fork', (e: ForkEvent) => (this.forks.push(e), this.order.push(`fork ${e.child}`)));
    trace.on('exec', (e: ExecEvent) => (this.execs.push(e), this.order.push(`exec ${e.pid}`)));
    trace.on('exit', (e: ExitEvent) => (this.exits.push(e), this.order.push(`exit ${e.pid}`)));
    trace.on('function-entry', (e: TraceEvent & { function: string }) => {
      if (e.function === counted) this.calls.set(e.pid, (this.calls.get(e.pid) ?? 0) + 1);
    });
    this.closed = new Promise((resolve) => trace.once('close', () => (this.order.push('close'), resolve())));
  }
}

async function runPool(
  subprocesses: boolean,
  beforeTasks: (workers: number[], addresses: Record<string, bigint>) => Promise<void>,
) {
  // A copy of python3.11: another tracer of the system's binary does not raise its semaphores.
  const py = await startPython('pool.py', [String(WORKERS), String(CALLS)], { python: privatePython() });
  const addresses = semaphoreAddresses(py.pid);
  const trace = await attach(py.pid, { events: ['function-entry', 'function-return'], subprocesses });
  const log = new ProcessLog(trace);
  py.send(JSON.stringify(Object.fromEntries(Object.entries(addresses).map(([k, v]) => [k, Number(v)]))) + '\n');
  const workers = JSON.parse((await py.line((l) => l.startsWith('workers '))).slice('workers '.length)) as number[];
  await beforeTasks(workers, addresses);
  py.go();
  const result = await py.result<PoolResult>();
  await within(log.closed, 30000, 'the trace to close after the last process');
  return { py, trace, log, workers, result };
}

test('subprocesses: every pool worker traced from its start, exact calls per pid, an exit each, then close', async () => {
  const { py, trace, log, workers, result } = await runPool(true, async () => undefined);
  expect(trace.stats().lost).toBe(0);
  expect(log.forks.map((f) => f.child).sort()).toEqual([...workers].sort());
  expect(log.forks.every((f) => f.traced && f.pid === py.pid)).toBe(true);
  // Exactly what each process says it did; no other process.
  const expected = new Map([py.pid, ...workers].map((pid) => [pid, result.pids[String(pid)]?.calls ?? 0]));
  expect(new Map([...log.calls].filter(([, n]) => n > 0))).toEqual(new Map([...expected].filter(([, n]) => n > 0)));
  expect([...expected.values()].reduce((a, b) => a + b, 0)).toBe(CALLS * (WORKERS * 2 + 1));
  // Workers ran traced: they inherited the raised semaphores.
  for (const w of workers)
    if (result.pids[String(w)]) expect(result.pids[String(w)].semaphores.function__entry).toBeGreaterThan(0);
  // One exit per process, the parent's last (it waits for its pool), then close.
  expect(log.exits.map((e) => e.pid).sort()).toEqual([py.pid, ...workers].sort());
  expect(log.exits.every((e) => e.reason === 'exit' && e.code === 0)).toBe(true);
  expect(log.order.slice(-2)).toEqual([`exit ${py.pid}`, 'close']);
});

test.each(['ring', 'perf'] as const)(
  'subprocesses (%s): a child is traced from its first instruction after fork (its first calls are all there)',
  async (transport) => {
    const py = await startPython('fork_at_once.py', ['20']);
    const trace = await attach(py.pid, {
      events: ['function-entry', 'function-return'],
      subprocesses: true,
      transport,
    });
    const log = new ProcessLog(trace);
    py.go();
    const child = await py.result<number>();
    await within(log.closed, 15000, 'the trace to close');
    expect(log.forks).toEqual([expect.objectContaining({ pid: py.pid, child, traced: true })]);
    expect(log.calls).toEqual(
      new Map([
        [child, 20],
        [py.pid, 1],
      ]),
    );
    expect(log.order).toEqual([`fork ${child}`, `exit ${child}`, `exit ${py.pid}`, 'close']);
  },
);

test('subprocesses: a child whose fork record was lost (the ring full) is continued all the same', async () => {
  const py = await startPython('flood_fork.py', ['300000']);
  const trace = await attach(py.pid, {
    events: ['function-entry', 'function-return'],
    subprocesses: true,
    ringBytes: 4096,
    batchBytes: 4096,
    maxPendingBatches: 1,
  });
  const log = new ProcessLog(trace);
  let lost = 0;
  trace.on('lost', ({ count }: { count: number }) => (lost += count));
  py.go();
  // JS stops taking batches while the target floods the ring, until it has forked.
  const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  const children = `/proc/${py.pid}/task/${py.pid}/children`;
  for (let waited = 0; waited < 20000 && !fs.readFileSync(children, 'utf8').trim(); waited += 10) pause(10);
  pause(100);
  const child = await py.result<number>();
  await within(log.closed, 15000, 'the trace to close');
  // The fork record is among the losses (seen so in every run).
  expect(lost).toBeGreaterThan(0);
  expect(log.forks).toEqual([]);
  expect(py.lines).toContain('child');
  // Whether the fork record was among the losses or not, every process ended.
  expect(log.exits.map((e) => e.pid)).toEqual(expect.arrayContaining([py.pid]));
  expect(child).toBeGreaterThan(0);
});

test('without subprocesses: pool workers run untraced, their semaphores at 0, many times faster than the traced parent', async () => {
  const { py, trace, log, workers, result } = await runPool(false, async (pids, addresses) => {
    // pytrace lowers them as it learns of each fork (it takes a few ms).
    const lowered = () => pids.every((pid) => Object.values(readAll(pid, addresses)).every((v) => v === 0));
    expect(await until(lowered, 5000)).toBe(true);
  });
  expect(trace.stats().lost).toBe(0);
  expect(log.forks.map((f) => f.child).sort()).toEqual([...workers].sort());
  expect(log.forks.every((f) => !f.traced)).toBe(true);
  // Only the parent's own calls are traced.
  expect([...log.calls]).toEqual([[py.pid, CALLS]]);
  const parent = result.pids[String(py.pid)];
  expect(parent.semaphores.function__entry).toBe(1);
  const ran = workers.filter((w) => result.pids[String(w)]);
  expect(ran.length).toBeGreaterThan(0);
  const workerSeconds: number[] = [];
  for (const w of ran) {
    const r = result.pids[String(w)];
    // Read by the worker itself, at the start of each task.
    expect(Object.values(r.semaphores).every((v) => v === 0)).toBe(true);
    workerSeconds.push(...r.seconds);
  }
  // The same loop, traced in the parent, untraced in a worker; the worker's
  // fastest run (a busy machine only slows them). With the semaphores left
  // raised, a worker ran about as slowly as the parent (ratio 1.6 measured).
  const ratio = parent.seconds[0] / Math.min(...workerSeconds);
  expect(ratio).toBeGreaterThan(10);
  expect(log.exits.map((e) => e.pid)).toEqual([py.pid]);
});

test.each([true, false])(
  'subprocesses %s: after detach a living child has every semaphore at 0 and exits normally',
  async (subprocesses) => {
    const py = await startPython('fork_hold.py', [], { python: privatePython() });
    const trace = await attach(py.pid, { events: ['function-entry', 'function-return'], subprocesses });
    const log = new ProcessLog(trace);
    py.go();
    const child = Number((await py.line((l) => l.startsWith('child '))).slice('child '.length));
    const raised = expectedSemaphores(['function__entry', 'function__return', 'line']);
    const zero = expectedSemaphores([]);
    if (subprocesses) expect(semaphores(child)).toEqual(raised);
    else expect(await until(() => Object.values(semaphores(child)).every((v) => v === 0), 5000)).toBe(true);
    await trace.detach();
    expect(log.forks).toEqual([expect.objectContaining({ child, traced: subprocesses })]);
    expect(semaphores(py.pid)).toEqual(zero);
    expect(semaphores(child)).toEqual(zero);
    // No breakpoint left behind in it (one at .fini would kill it with SIGTRAP at exit).
    process.kill(child, 'SIGUSR1');
    expect(await py.result<number>()).toBe(0);
  },
);

test('subprocesses: a child killed by a signal ends with that signal, the parent with its exit code', async () => {
  const py = await startPython('fork_hold.py');
  const trace = await attach(py.pid, { events: ['function-entry', 'function-return'], subprocesses: true });
  const log = new ProcessLog(trace);
  py.go();
  const child = Number((await py.line((l) => l.startsWith('child '))).slice('child '.length));
  process.kill(child, 'SIGKILL');
  expect(await py.result<number>()).toBe(9);
  await within(log.closed, 15000, 'the trace to close');
  expect(log.exits).toEqual([
    expect.objectContaining({ pid: child, reason: 'exit', signal: 9 }),
    expect.objectContaining({ pid: py.pid, reason: 'exit', code: 0 }),
  ]);
  expect(log.exits[0].code).toBeUndefined();
});

/** python3.11 exec.py PROGRAM ARGS...: calls before() 3 times inside outer(), then execv. */
async function traceExec(program: string, args: string[], transport: 'ring' | 'perf' = 'ring') {
  const py = await startPython('exec.py', [program, ...args]);
  const trace = await attach(py.pid, { events: ['function-entry', 'function-return'], transport });
  const log = new ProcessLog(trace, 'before');
  const frames: (TraceEvent & { function: string })[] = [];
  trace.on('event', (e) => frames.push(e as TraceEvent & { function: string }));
  py.go();
  await within(log.closed, 15000, 'the trace to close');
  return { py, trace, log, frames };
}

test.each(['ring', 'perf'] as const)(
  'exec into the same Python (%s): calls on both sides exact, one exec event',
  async (transport) => {
    const { py, trace, log, frames } = await traceExec(PYTHON, [script('after_exec.py'), '5'], transport);
    expect(trace.stats().lost).toBe(0);
    expect(log.execs).toEqual([expect.objectContaining({ pid: py.pid, executable: PYTHON })]);
    const count = (type: string, fn: string) => frames.filter((f) => f.type === type && f.function === fn).length;
    expect([count('function-entry', 'before'), count('function-return', 'before')]).toEqual([3, 3]);
    expect([count('function-entry', 'after'), count('function-return', 'after')]).toEqual([5, 5]);
    expect(log.exits).toEqual([expect.objectContaining({ pid: py.pid, reason: 'exit', code: 0 })]);
  },
);

describe.each(['1', '0'])('PYTRACE_UPROBE_MULTI=%s', (multi) => {
  beforeAll(() => (process.env.PYTRACE_UPROBE_MULTI = multi));
  afterAll(() => delete process.env.PYTRACE_UPROBE_MULTI);

  test('exec by a thread other than the main one: calls after it exact (its uprobes were bound to the old main thread)', async () => {
    const py = await startPython('thread_exec.py', [PYTHON, script('after_exec.py'), '5']);
    const trace = await attach(py.pid, { events: ['function-entry', 'function-return'] });
    const log = new ProcessLog(trace, 'after');
    py.go();
    await within(log.closed, 15000, 'the trace to close');
    expect(log.execs).toEqual([expect.objectContaining({ pid: py.pid, tid: py.pid, executable: PYTHON })]);
    expect(log.calls).toEqual(new Map([[py.pid, 5]]));
    expect(trace.stats().lost).toBe(0);
  });
});

test.each(['ring', 'perf'] as const)(
  'exec into another python3.11 (%s; a copy: another file): attached before its first instruction, its calls exact',
  async (transport) => {
    const other = privatePython();
    const { py, trace, log, frames } = await traceExec(other, [script('after_exec.py'), '5'], transport);
    expect(log.execs).toEqual([expect.objectContaining({ pid: py.pid, executable: other })]);
    const count = (type: string, fn: string) => frames.filter((f) => f.type === type && f.function === fn).length;
    expect([count('function-entry', 'before'), count('function-return', 'before')]).toEqual([3, 3]);
    // It exits at once: attached from JS after the exec, it would be gone by then.
    expect([count('function-entry', 'after'), count('function-return', 'after')]).toEqual([5, 5]);
    expect(log.exits).toEqual([expect.objectContaining({ pid: py.pid, reason: 'exit', code: 0 })]);
    expect(trace.stats().lost).toBe(0);
  },
);

test('exec into a program that is not a Python: that process leaves the trace with the reason, and the trace closes', async () => {
  const { py, log } = await traceExec('/bin/true', []);
  expect(log.execs).toEqual([expect.objectContaining({ pid: py.pid, executable: '/bin/true' })]);
  expect(log.exits).toEqual([expect.objectContaining({ pid: py.pid, reason: 'exec', executable: '/bin/true' })]);
  expect(log.exits[0].message).toMatch(/not a Python/);
  expect(log.order).toEqual([`exec ${py.pid}`, `exit ${py.pid}`, 'close']);
  expect(log.calls.get(py.pid)).toBe(3);
});
