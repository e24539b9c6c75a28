/**
 * profile(pid, { subprocesses: true }) on every build here (interpreters.ts):
 * a multiprocessing pool's workers (forked, or from 3.14 forked by a
 * forkserver that was exec'd) join the profile; each worker's 1 s of CPU
 * in work() arrives under its own pid. Without the option, only the target.
 */
import { profile, SampleEvent } from '../../lib/api/profile';
import { killStarted } from '../helpers/python';
import { cleanups, interpreterRows } from './interpreters';

afterEach(killStarted);
afterAll(() => cleanups.forEach((remove) => remove()));

/** Samples per process (by its pid as it knows itself) whose innermost frame is work(). */
async function poolSamples(
  start: (name: string) => Promise<{ pid: number; child: import('../helpers/python').Child }>,
  subprocesses: boolean,
) {
  const { pid, child } = await start('pool.py');
  const { file } = JSON.parse((await child.line((l) => l.startsWith('result '))).slice('result '.length)) as {
    file: string;
  };
  const p = await profile(pid, { hz: 499, subprocesses });
  const samples: SampleEvent[] = [];
  p.on('sample', (s) => samples.push(s));
  child.send('go\n');
  const workers = JSON.parse((await child.line((l) => l.startsWith('workers '), 60_000)).slice(8)) as number[];
  await child.line((l) => l === 'done');
  await p.close();
  const inWork = new Map<number, number>();
  for (const s of samples)
    if (s.frames[0].function === 'work' && s.frames[0].filename === file)
      inWork.set(s.nsPid ?? s.pid, (inWork.get(s.nsPid ?? s.pid) ?? 0) + 1);
  return { pid, workers, inWork, samples };
}

describe.each(interpreterRows)('%s', (_, interpreter) => {
  (interpreter.start ? test : test.skip)(
    "subprocesses: every pool worker's samples arrive, under its own pid",
    async () => {
      const { workers, inWork } = await poolSamples(interpreter.start!, true);
      expect(workers.length).toBeGreaterThan(0);
      // 1 s of CPU in work() at 499 Hz: about 500 samples per worker (CPU time, so not
      // fewer on a busy machine). It joins the profile once its fork (3.14: the forkserver's
      // exec, then the fork) is read, which on a loaded machine took up to half of a 0.4 s
      // work() in CPU time: 100 leaves the rest as margin.
      const few = workers.filter((w) => (inWork.get(w) ?? 0) <= 100).map((w) => [w, inWork.get(w) ?? 0]);
      expect(few).toEqual([]);
      expect([...inWork.keys()].every((p) => workers.includes(p))).toBe(true);
    },
    90_000,
  );
});

test('without subprocesses: only the target is sampled', async () => {
  const host = interpreterRows.find(([, i]) => i.start && i.label === 'host python3.11');
  if (!host) return;
  const { pid, samples } = await poolSamples(host[1].start!, false);
  expect(samples.length).toBeGreaterThan(0);
  expect(samples.every((s) => s.pid === pid)).toBe(true);
}, 90_000);
