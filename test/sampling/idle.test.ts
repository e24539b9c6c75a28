/**
 * profile(pid, { idle: true }) on every build here (interpreters.ts): a
 * thread blocked on an event all along is sampled by the timer over the
 * thread list, at the line it waits at; the thread spinning on a CPU only by
 * the CPU clock (never twice). Without idle the blocked thread has none.
 */
import { profile, SampleEvent } from '../../lib/api/profile';
import { killStarted } from '../helpers/python';
import { cleanups, interpreterRows } from './interpreters';

afterEach(killStarted);
afterAll(() => cleanups.forEach((remove) => remove()));

interface Reported {
  file: string;
  spinner: number;
  waiter: number;
  wait_line: number;
}

describe.each(interpreterRows)('%s', (_, interpreter) => {
  (interpreter.start ? test : test.skip)(
    'idle: the blocked thread sampled off the CPU where it waits; the spinning one by the CPU clock only',
    async () => {
      for (const idle of [true, false]) {
        const { pid, child } = await interpreter.start!('idle.py');
        const r = JSON.parse((await child.line((l) => l.startsWith('result '))).slice('result '.length)) as Reported;
        const p = await profile(pid, { hz: 99, idle });
        const samples: SampleEvent[] = [];
        p.on('sample', (s) => samples.push(s));
        child.send('go\n');
        await child.line((l) => l === 'done', 30_000);
        await p.close();
        child.kill();

        const tid = (s: SampleEvent) => s.nsTid ?? s.tid;
        const waiter = samples.filter((s) => tid(s) === r.waiter);
        const spinner = samples.filter((s) => tid(s) === r.spinner);
        // The spinner is running (on a CPU or waiting for one) all through spin(): the timer
        // leaves it alone there. (Once it has said "done" it waits on stdin, off the CPU,
        // until the profile is closed: samples of it there are the timer's, rightly.)
        const inSpin = (s: SampleEvent) => s.frames.some((f) => f.function === 'spin' && f.filename === r.file);
        expect(spinner.filter((s) => s.offCpu && inSpin(s))).toEqual([]);
        expect(spinner.length).toBeGreaterThan(50); // 1 s of CPU at 99 Hz
        if (!idle) {
          expect(waiter).toEqual([]);
          continue;
        }
        // At least 1 s of wall time (1 s of CPU) at 99 Hz: about 99 ticks; 10 leaves room for
        // an event loop slowed tenfold.
        expect(waiter.length).toBeGreaterThan(10);
        // Every off-CPU sample counted is one delivered: the waiter's, and the spinner's after
        // "done" if the timer came by before the close (a CI run caught one).
        expect(p.stats().offCpu).toBe(samples.filter((s) => s.offCpu).length);
        const notWaiting = waiter.filter(
          (s) =>
            !s.offCpu ||
            !s.frames.some((f) => f.function === 'blocked' && f.filename === r.file && f.lineno === r.wait_line),
        );
        expect(notWaiting.slice(0, 3)).toEqual([]);
      }
    },
    60_000,
  );
});
