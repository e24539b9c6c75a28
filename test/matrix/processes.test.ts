/**
 * Processes that fork under the trace on other builds, chroot'ed and in a
 * container (own mount and PID namespaces): the child is traced from its first
 * instruction through uprobes copied for its pid, on the objects the parent's
 * are on (opened through the child's /proc/PID/root), and each process ends
 * with its own exit.
 */
import { attach, ExitEvent, ForkEvent, TraceEvent } from '../../lib/index';
import { build, BUILD_TIMEOUT_MS, ensureBuilds, Isolation, startIn } from '../helpers/builds';
import { killStarted, within } from '../helpers/python';

beforeAll(ensureBuilds, BUILD_TIMEOUT_MS);
afterEach(killStarted);

describe.each(['3.9', '3.15'] as const)('Python %s', (version) => {
  test.each<Isolation>(['chroot', 'container'])(
    '%s: a forked child traced from its first instruction, exact calls per process',
    async (isolation) => {
      const py = await startIn(build(version), 'fork_at_once.py', ['20'], { isolation });
      const trace = await attach(py.pid, { events: ['function-entry', 'function-return'], subprocesses: true });
      const forks: ForkEvent[] = [];
      const exits: ExitEvent[] = [];
      const calls = new Map<number, number>();
      trace.on('fork', (e: ForkEvent) => forks.push(e));
      trace.on('exit', (e: ExitEvent) => exits.push(e));
      trace.on('function-entry', (e: TraceEvent & { function: string }) => {
        if (e.function === 'work') calls.set(e.pid, (calls.get(e.pid) ?? 0) + 1);
      });
      const closed = new Promise<void>((resolve) => trace.once('close', resolve));
      py.go();
      await py.result();
      await within(closed, 15000, 'the trace to close');
      expect(forks).toHaveLength(1);
      const child = forks[0].child;
      expect(calls).toEqual(
        new Map([
          [child, 20],
          [py.pid, 1],
        ]),
      );
      expect(exits.map((e) => e.pid)).toEqual([child, py.pid]);
      expect(trace.stats().lost).toBe(0);
    },
  );
});
