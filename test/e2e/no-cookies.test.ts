/**
 * Kernels without BPF cookies (before Linux 5.15, e.g. Debian 11's 5.10):
 * each location's spec id is kept in a map by its address in the process,
 * and the program looks it up by the instruction pointer.
 * PYTRACE_NO_BPF_COOKIES=1 takes that path on any kernel. Exact calls and
 * returns (two specs of one file: a wrong lookup would swap or drop them),
 * a forked child's calls, counts in the kernel, and the attaches that need
 * cookies refused by name.
 */
import { attach, countCalls } from '../../lib/index';
import { PytraceError } from '../../lib/errors';
import { Collector, killStarted, PYTHON, startPython, within } from '../helpers/python';

afterEach(killStarted);
beforeAll(() => (process.env.PYTRACE_NO_BPF_COOKIES = '1'));
afterAll(() => delete process.env.PYTRACE_NO_BPF_COOKIES);

test('without cookies: exact entries and returns, in order, on single uprobes', async () => {
  const py = await startPython('calls.py', ['nested']);
  const trace = await attach(py.pid, { events: ['function-entry', 'function-return'] });
  expect(trace.stats().linkKind).toBe('uprobe');
  const c = new Collector(trace);
  py.go();
  await within(c.closed, 10000, 'close after the script exits');
  const frames = c.frames(py.script).filter((f) => f.function === 'inner');
  expect(frames.map((f) => f.type)).toEqual(
    Array.from({ length: 6 }, () => ['function-entry', 'function-return']).flat(),
  );
  expect(trace.stats().lost).toBe(0);
});

test('without cookies: a forked child traced, its calls exact', async () => {
  const py = await startPython('fork_at_once.py', ['20']);
  const trace = await attach(py.pid, { events: ['function-entry', 'function-return'], subprocesses: true });
  const calls = new Map<number, number>();
  trace.on('function-entry', (e) => e.function === 'work' && calls.set(e.pid, (calls.get(e.pid) ?? 0) + 1));
  const closed = new Promise<void>((resolve) => trace.once('close', () => resolve()));
  py.go();
  const child = await py.result<number>();
  await within(closed, 15000, 'the trace to close');
  expect(calls).toEqual(
    new Map([
      [child, 20],
      [py.pid, 1],
    ]),
  );
});

test('without cookies: counts in the kernel, exact', async () => {
  const py = await startPython('calls.py', ['nested']);
  const counter = await countCalls({ pids: [py.pid] });
  try {
    py.go();
    await py.result();
    const inner = counter.read().filter((c) => c.filename === py.script && c.function === 'inner');
    expect(inner.reduce((n, c) => n + c.count, 0)).toBe(6);
  } finally {
    await counter.close();
  }
});

test('without cookies: every process of a binary cannot be told apart, and says so', async () => {
  const err = await attach({ binary: PYTHON }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PytraceError);
  expect(err).toMatchObject({ code: 'PYTRACE_KERNEL_UNSUPPORTED' });
  expect((err as Error).message).toMatch(/BPF cookies \(bpf_get_attach_cookie\) \(Linux 5\.15\)/);
});
