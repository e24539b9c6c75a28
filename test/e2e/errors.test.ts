/**
 * Every error code attach() can give, provoked for real, and nothing left
 * attached afterwards. PYTRACE_MARKER_UNAVAILABLE needs a build lacking a
 * marker: the fixtures for other builds cover it. Targets whose semaphores are
 * checked run a private copy of python3.11 (see privatePython()).
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import { attach, describe as describeProcess, probes, PytraceError } from '../../lib/index';
import {
  Child,
  expectedSemaphores,
  kernelThread,
  killStarted,
  privatePython,
  processState,
  PYTHON,
  semaphores,
  semaphoresAt,
  startChild,
  startPython,
  startTracer,
  tempDir,
  until,
  within,
} from '../helpers/python';

afterEach(killStarted);

const ALL_ZERO = expectedSemaphores([]);
const NOBODY = 65534;
const AS_NOBODY = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--inh-caps=-all'];

async function attachError(p: Promise<unknown>): Promise<PytraceError> {
  const e = await p.then(
    () => new Error('attach() resolved'),
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(PytraceError);
  return e as PytraceError;
}

test('PYTRACE_NO_PROCESS: the PID of a process that has exited', async () => {
  const gone = new Child('true', []);
  await gone.exited;
  const e = await attachError(attach(gone.pid));
  expect(e.code).toBe('PYTRACE_NO_PROCESS');
  expect(e.message).toContain(String(gone.pid));
  expect(() => describeProcess(gone.pid)).toThrow(expect.objectContaining({ code: 'PYTRACE_NO_PROCESS' }));
});

test('PYTRACE_NO_PROCESS: a python that has exited but is not yet reaped (a zombie)', async () => {
  // sleep becomes the python's parent and never reaps it.
  const parent = startChild('sh', ['-c', `${PYTHON} -c pass & echo $!; exec sleep 30`]);
  const pid = Number(await parent.line((l) => /^\d+$/.test(l)));
  expect(await until(() => processState(pid) === 'Z', 5000)).toBe(true);
  const e = await attachError(attach(pid));
  expect(e.code).toBe('PYTRACE_NO_PROCESS');
  expect(() => describeProcess(pid)).toThrow(expect.objectContaining({ code: 'PYTRACE_NO_PROCESS' }));
});

test('PYTRACE_NO_PROCESS: the id of a thread rather than of its process', async () => {
  const py = await startPython('with_thread.py', [], { python: privatePython() });
  const tid = Number(py.lines[0]);
  expect(tid).not.toBe(py.pid);
  for (const events of [undefined, ['function-entry' as const]]) {
    const e = await attachError(attach(tid, { events }));
    expect(e.code).toBe('PYTRACE_NO_PROCESS');
    expect(e.message).toContain(String(py.pid));
  }
  expect(() => describeProcess(tid)).toThrow(expect.objectContaining({ code: 'PYTRACE_NO_PROCESS' }));
  expect(semaphores(py.pid)).toEqual(ALL_ZERO);
});

const kthread = kernelThread();
(kthread ? test : test.skip)('PYTRACE_NOT_PYTHON: a kernel thread (no executable at all)', async () => {
  const e = await attachError(attach(kthread!));
  expect(e.code).toBe('PYTRACE_NOT_PYTHON');
  expect(() => describeProcess(kthread!)).toThrow(expect.objectContaining({ code: 'PYTRACE_NOT_PYTHON' }));
});

test('PYTRACE_NOT_PYTHON: a process that is not a Python', async () => {
  const sleeper = startChild('sleep', ['30']);
  const e = await attachError(attach(sleeper.pid));
  expect(e.code).toBe('PYTRACE_NOT_PYTHON');
});

test('PYTRACE_NO_MARKERS: a real python3.11 whose SDT notes were stripped', async () => {
  const tmp = tempDir('pytrace-nomarkers-');
  try {
    const python = path.join(tmp.dir, 'python3.11');
    execFileSync('objcopy', ['--remove-section', '.note.stapsdt', PYTHON, python]);
    const py = await startPython('idle.py', [], { python });
    const e = await attachError(attach(py.pid));
    expect(e.code).toBe('PYTRACE_NO_MARKERS');
    expect(describeProcess(py.pid).build).toBe('none');
    // The semaphores are still in its .probes section, where the original's notes say:
    // the executable is not position-independent, so those addresses hold at run time.
    const original = probes(PYTHON).filter((l) => l.provider === 'python');
    expect(original.every((l) => !l.shared && l.semaphore !== null)).toBe(true);
    const addresses = Object.fromEntries(original.map((l) => [l.name, l.semaphore!]));
    expect(semaphoresAt(py.pid, addresses)).toEqual(ALL_ZERO);
  } finally {
    await killStarted();
    tmp.remove();
  }
});

test('PYTRACE_UNKNOWN_EVENT: an event name that does not exist, alone or among real ones', async () => {
  const py = await startPython('idle.py', [], { python: privatePython() });
  for (const events of [['nope'], ['function-entry', 'function-return', 'nope']]) {
    const e = await attachError(attach(py.pid, { events: events as never }));
    expect(e.code).toBe('PYTRACE_UNKNOWN_EVENT');
    expect(e.message).toContain('"nope"');
    expect(semaphores(py.pid)).toEqual(ALL_ZERO);
  }
});

test('PYTRACE_PERMISSION: an unprivileged user tracing its own python', async () => {
  const py = await startPython('idle.py', [], { python: privatePython(), uid: NOBODY, gid: NOBODY });
  const tracer = startTracer(['attach', String(py.pid)], AS_NOBODY);
  const line = await tracer.line((l) => l.startsWith('error ') || l === 'attached');
  expect(line).toMatch(/^error PYTRACE_PERMISSION /);
  expect((await within(tracer.exited, 10000, 'tracer exit')).code).toBe(3);
  expect(semaphores(py.pid)).toEqual(ALL_ZERO);
});

test("PYTRACE_PERMISSION: an unprivileged user describing or attaching to root's python", async () => {
  const py = await startPython('idle.py', [], { python: privatePython() });
  for (const mode of ['describe', 'attach']) {
    const tracer = startTracer([mode, String(py.pid)], AS_NOBODY);
    const line = await tracer.line((l) => /^(error|described|attached)\b/.test(l));
    expect(line).toMatch(/^error PYTRACE_PERMISSION /);
    expect((await within(tracer.exited, 10000, 'tracer exit')).code).toBe(3);
  }
  expect(semaphores(py.pid)).toEqual(ALL_ZERO);
});

test('PYTRACE_KERNEL_UNSUPPORTED: no uprobe PMU in sysfs', async () => {
  const py = await startPython('idle.py', [], { python: privatePython() });
  // A private mount namespace where /sys/bus/event_source/devices is empty.
  const hide = ['unshare', '-m', 'sh', '-c', 'mount -t tmpfs none /sys/bus/event_source/devices && exec "$0" "$@"'];
  const tracer = startTracer(['attach', String(py.pid)], hide);
  const line = await tracer.line((l) => l.startsWith('error ') || l === 'attached');
  expect(line).toMatch(/^error PYTRACE_KERNEL_UNSUPPORTED .*uprobe/);
  expect((await within(tracer.exited, 10000, 'tracer exit')).code).toBe(3);
  expect(semaphores(py.pid)).toEqual(ALL_ZERO);
});
