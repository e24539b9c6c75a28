/**
 * dump() of threads that run call-heavy Python on other CPUs as they are
 * read: every dump gives each busy thread a stack it can be in (its
 * bootstrap, then busy_loop, then a prefix of a > b > c), never a torn one.
 */
import { dump } from '../../lib/api/dump';
import { killStarted, until } from '../helpers/python';
import { blockedReadingStdin, cleanups, interpreterRows } from './interpreters';

afterEach(killStarted);
afterAll(() => cleanups.forEach((remove) => remove()));

const DUMPS = 20;

describe.each(interpreterRows)('%s', (_, interpreter) => {
  (interpreter.start ? test : test.skip)(
    `${DUMPS} dumps: each busy thread's stack is one it can be in`,
    async () => {
      const { pid, child } = await interpreter.start!('running_threads.py');
      child.send('go\n');
      const busy = JSON.parse((await child.line((l) => l.startsWith('result '))).slice('result '.length)) as number[];
      expect(await until(() => blockedReadingStdin(pid), 5000)).toBe(true);
      const wrong: string[] = [];
      for (let i = 0; i < DUMPS; i++) {
        const threads = await dump(pid);
        for (const tid of busy) {
          const t = threads.find((x) => (x.nsTid ?? x.tid) === tid);
          const outer = (t?.frames ?? []).map((f) => f.function.slice(f.function.lastIndexOf('.') + 1)).reverse();
          const at = outer.indexOf('busy_loop');
          const calls = outer.slice(at + 1);
          const ok =
            t?.status === 'ok' && at >= 1 && outer[at - 1] === 'run' && calls.every((f, k) => f === ['a', 'b', 'c'][k]);
          if (!ok) wrong.push(`${t?.status}: ${outer.join(' > ')}`);
        }
      }
      expect(wrong).toEqual([]);
    },
    60_000,
  );
});
