/**
 * Marker semaphores as the target sees them (read from /proc/PID/mem): zero
 * untraced, raised exactly for what is traced (plus `line` on 3.11 when
 * entries are wanted), lowered by detach() and by the tracer's death. Also
 * whether an open trace keeps node running (ref/unref). Targets run a private
 * copy of python3.11 so that other tracers of the system's binary do not
 * change the counts.
 */
import { attach, EventName } from '../../lib/index';
import {
  expectedSemaphores,
  killStarted,
  MARKER_NAMES,
  privatePython,
  semaphores,
  sleep,
  startPython,
  startTracer,
  TRACER,
  until,
  within,
} from '../helpers/python';
import { startChild } from '../helpers/child';

afterEach(killStarted);

const ALL_ZERO = expectedSemaphores([]);

test.each<[string, EventName[] | undefined, string[]]>([
  ['every event (the default)', undefined, [...MARKER_NAMES]],
  ['gc-start and audit', ['gc-start', 'audit'], ['gc__start', 'audit']],
  [
    'entries and returns: line raised as the anchor',
    ['function-entry', 'function-return'],
    ['function__entry', 'function__return', 'line'],
  ],
  ['returns only: no anchor', ['function-return'], ['function__return']],
  ['line only', ['line'], ['line']],
  [
    'imports',
    ['import-find-load-start', 'import-find-load-done'],
    ['import__find__load__start', 'import__find__load__done'],
  ],
])('semaphores: %s', async (_what, events, raised) => {
  const py = await startPython('idle.py', [], { python: privatePython() });
  expect(semaphores(py.pid)).toEqual(ALL_ZERO);
  const trace = await attach(py.pid, events ? { events } : {});
  expect(semaphores(py.pid)).toEqual(expectedSemaphores(raised));
  await trace.detach();
  expect(semaphores(py.pid)).toEqual(ALL_ZERO);
});

test('semaphores count traces: two traces add up, each detach takes back its own', async () => {
  const py = await startPython('idle.py', [], { python: privatePython() });
  const calls = await attach(py.pid, { events: ['function-entry', 'function-return'] });
  const lines = await attach(py.pid, { events: ['line'] });
  expect(semaphores(py.pid)).toEqual({ ...expectedSemaphores(['function__entry', 'function__return']), line: 2 });
  await calls.detach();
  expect(semaphores(py.pid)).toEqual(expectedSemaphores(['line']));
  await lines.detach();
  expect(semaphores(py.pid)).toEqual(ALL_ZERO);
});

test('semaphores drop to 0 when the tracing process is killed with SIGKILL', async () => {
  const py = await startPython('idle.py', [], { python: privatePython() });
  const tracer = startTracer(['hold', String(py.pid), 'function-entry,function-return,gc-start']);
  await tracer.line((l) => l === 'attached');
  expect(semaphores(py.pid)).toEqual(expectedSemaphores(['function__entry', 'function__return', 'line', 'gc__start']));
  tracer.kill('SIGKILL');
  await tracer.exited;
  // The kernel lowers them as the dead process's links are released.
  await until(() => Object.values(semaphores(py.pid)).every((v) => v === 0), 1000);
  expect(semaphores(py.pid)).toEqual(ALL_ZERO);
  expect(py.running).toBe(true);
});

test('unref(): an open trace does not keep node running', async () => {
  const py = await startPython('idle.py', [], { python: privatePython() });
  const tracer = startTracer(['unref', String(py.pid), 'function-entry,function-return']);
  await tracer.line((l) => l === 'attached');
  expect(await within(tracer.exited, 10000, 'an unref()ed tracer to exit by itself')).toEqual({
    code: 0,
    signal: null,
  });
  expect(py.running).toBe(true);
  await until(() => Object.values(semaphores(py.pid)).every((v) => v === 0), 1000);
  expect(semaphores(py.pid)).toEqual(ALL_ZERO);
});

test('detach() after unref(): it resolves, node exits by itself, semaphores back to 0', async () => {
  const py = await startPython('idle.py', [], { python: privatePython() });
  const tracer = startTracer(['unref-detach', String(py.pid), 'function-entry,function-return,gc-start']);
  // Before, the loop ended while detach() waited, and the addon aborted in Node's teardown.
  expect(await within(tracer.exited, 10000, 'an unref()ed tracer to detach and exit')).toEqual({
    code: 0,
    signal: null,
  });
  expect(tracer.lines).toEqual(expect.arrayContaining(['attached', 'detached']));
  expect(semaphores(py.pid)).toEqual(ALL_ZERO);
});

test('a listener that throws: an uncaught exception ends node (no flag needed), semaphores back to 0', async () => {
  const py = await startPython('idle.py', [], { python: privatePython() });
  // Without --force-node-api-uncaught-exceptions-policy, as users run node.
  const tracer = startChild(process.execPath, [TRACER, 'throws', String(py.pid), 'function-entry,function-return']);
  await tracer.line((l) => l === 'attached');
  py.send('\n');
  expect(await within(tracer.exited, 10000, "the tracer to end on its listener's error")).toEqual({
    code: 1,
    signal: null,
  });
  expect(tracer.stderr).toMatch(/^Error: listener threw$/m);
  expect(tracer.stderr).not.toMatch(/DeprecationWarning/);
  await until(() => Object.values(semaphores(py.pid)).every((v) => v === 0), 1000);
  expect(semaphores(py.pid)).toEqual(ALL_ZERO);
});

test('ref() after unref(): the trace keeps node running again', async () => {
  const py = await startPython('idle.py', [], { python: privatePython() });
  const tracer = startTracer(['reref', String(py.pid), 'function-entry,function-return']);
  await tracer.line((l) => l === 'attached');
  await sleep(1000);
  expect(tracer.running).toBe(true);
  expect(semaphores(py.pid)).toEqual(expectedSemaphores(['function__entry', 'function__return', 'line']));
  tracer.kill('SIGKILL');
  await tracer.exited;
  await until(() => Object.values(semaphores(py.pid)).every((v) => v === 0), 1000);
  expect(semaphores(py.pid)).toEqual(ALL_ZERO);
});
