/**
 * Both ways of placing uprobes: one uprobe_multi link per file (Linux 6.6+,
 * the default) and one uprobe per location (older kernels, or
 * PYTRACE_UPROBE_MULTI=0): exact calls, semaphores up while attached, down
 * after detach and after the tracer is killed.
 */
import * as os from 'os';
import { attach } from '../../lib/index';
import {
  Collector,
  expectedSemaphores,
  killStarted,
  privatePython,
  semaphores,
  startPython,
  startTracer,
  until,
  within,
} from '../helpers/python';

afterEach(killStarted);
const ALL_ZERO = expectedSemaphores([]);

const [major, minor] = os.release().split('.').map(Number);
const kernelHasMulti = major > 6 || (major === 6 && minor >= 6);

for (const [kind, multi, linkKind, runs] of [
  ['uprobe_multi links', '1', 'uprobe_multi', kernelHasMulti],
  ['single uprobes', '0', 'uprobe', true],
] as const)
  (runs ? describe : describe.skip)(runs ? kind : `${kind} [skipped: needs Linux 6.6, this is ${os.release()}]`, () => {
    beforeAll(() => (process.env.PYTRACE_UPROBE_MULTI = multi));
    afterAll(() => delete process.env.PYTRACE_UPROBE_MULTI);

    test('exact calls', async () => {
      const py = await startPython('calls.py', ['nested']);
      const trace = await attach(py.pid, { events: ['function-entry', 'function-return'] });
      // The kind asked for is the kind made (on Linux 6.6 or later, which has uprobe_multi).
      expect(trace.stats().linkKind).toBe(linkKind);
      const c = new Collector(trace);
      py.go();
      await within(c.closed, 10000, 'close after the script exits');
      const entered = c.frames(py.script).filter((f) => f.type === 'function-entry' && f.function !== '<module>');
      expect(entered.map((f) => f.function)).toEqual([
        'scenario_nested',
        'outer',
        'middle',
        'inner',
        'inner',
        'inner',
        'middle',
        'inner',
        'inner',
        'inner',
      ]);
    });

    test('semaphores raised while attached, lowered by detach', async () => {
      const py = await startPython('idle.py', [], { python: privatePython() });
      expect(semaphores(py.pid)).toEqual(ALL_ZERO);
      const trace = await attach(py.pid, { events: ['function-entry', 'function-return', 'gc-start'] });
      expect(trace.stats().linkKind).toBe(linkKind);
      expect(semaphores(py.pid)).toEqual(
        expectedSemaphores(['function__entry', 'function__return', 'line', 'gc__start']),
      );
      await trace.detach();
      expect(semaphores(py.pid)).toEqual(ALL_ZERO);
    });

    test('semaphores drop to 0 when the tracer is killed with SIGKILL', async () => {
      const py = await startPython('idle.py', [], { python: privatePython() });
      const tracer = startTracer(['hold', String(py.pid), 'function-entry,gc-done'], [], {
        PYTRACE_UPROBE_MULTI: multi,
      });
      const kind = within(
        tracer.line((l) => l.startsWith('linkKind ')),
        10000,
        'the tracer to attach',
      );
      expect(await kind).toBe(`linkKind ${linkKind}`);
      expect(semaphores(py.pid)).toEqual(expectedSemaphores(['function__entry', 'line', 'gc__done']));
      tracer.kill('SIGKILL');
      await tracer.exited;
      await until(() => Object.values(semaphores(py.pid)).every((v) => v === 0), 1000);
      expect(semaphores(py.pid)).toEqual(ALL_ZERO);
    });
  });
