/**
 * profile() through a process's life: it exits mid-profile, it recurses past
 * the kernel's depth limit, a thread starts and ends; and bad options.
 */
import * as path from 'path';
import { layout } from '../../lib/native';
import { profile, SampleEvent } from '../../lib/api/profile';
import { killStarted, startChild } from '../helpers/python';
import { pyenvPython, SAMPLING_SCRIPTS } from './interpreters';

afterEach(killStarted);

const STACK_MAX = layout.sampling.values.PT_STACK_MAX;

/** The host's build with markers, and one without (pyenv 3.12) where it is. */
const PYTHONS: [string, string | undefined][] = [
  ['host python3.11', '/usr/bin/python3.11'],
  [pyenvPython('3.12') ? 'pyenv 3.12' : 'pyenv 3.12 (skipped: none here)', pyenvPython('3.12')?.python],
];

async function start(python: string, scene: string, threads?: (pid: number) => number[], transport?: 'perf') {
  const child = startChild(python, [path.join(SAMPLING_SCRIPTS, 'lifecycle.py'), scene]);
  await child.line((l) => l === 'ready');
  const p = await profile(child.pid, { hz: 499, threads: threads?.(child.pid), transport });
  const samples: SampleEvent[] = [];
  p.on('sample', (s) => samples.push(s));
  return { child, p, samples };
}

describe.each(PYTHONS)('%s', (_, python) => {
  const t = python ? test : test.skip;

  t(
    'as an async iterator: every sample the events give, from the call until close',
    async () => {
      const { child, p, samples } = await start(python!, 'exit');
      const iterated: SampleEvent[] = [];
      const done = (async () => {
        for await (const s of p) iterated.push(s);
      })();
      child.send('go\n');
      await done;
      expect(p.closed).toBe(true);
      expect(iterated.length).toBeGreaterThan(150);
      expect(iterated).toEqual(samples);
    },
    30_000,
  );

  t(
    'a target that exits mid-profile: its samples, then exit, then close',
    async () => {
      const { child, p, samples } = await start(python!, 'exit');
      const order: string[] = [];
      p.on('exit', () => order.push(`exit after ${samples.length}`));
      const closed = new Promise<void>((resolve) => p.on('close', () => (order.push('close'), resolve())));
      child.send('go\n');
      await closed;
      expect(order).toEqual([`exit after ${samples.length}`, 'close']);
      // 0.5 s of CPU at 499 Hz; symbolized while the process lived, or from the cache after.
      expect(samples.length).toBeGreaterThan(150);
      expect(
        samples.filter((s) => s.frames[0].function === 'spin' && s.frames[1].function === 'work').length,
      ).toBeGreaterThan(0.9 * samples.length);
      // Code first seen in the last batch, after the process is gone (its shutdown), cannot be read any more:
      // "<unknown>", counted; everything before that was symbolized.
      const unknown = samples
        .map((s, i) => (s.frames.some((f) => f.function === '<unknown>') ? i : -1))
        .filter((i) => i >= 0);
      expect(unknown.every((i) => i >= samples.length - 5)).toBe(true);
      expect(p.stats().unsymbolized).toBe(
        unknown.reduce((n, i) => n + samples[i].frames.filter((f) => f.function === '<unknown>').length, 0),
      );
      await p.close(); // closing again is harmless
    },
    30_000,
  );

  t(
    `recursion deeper than ${STACK_MAX} frames: samples say they are cut, innermost frames kept`,
    async () => {
      const { child, p, samples } = await start(python!, 'deep');
      child.send('go\n');
      await child.line((l) => l === 'done', 20_000);
      await p.close();
      const inSpin = samples.filter((s) => s.frames[0].function === 'spin');
      expect(inSpin.length).toBeGreaterThan(300);
      for (const s of inSpin) {
        expect(s.truncated).toBe(true);
        expect(s.frames).toHaveLength(STACK_MAX);
        expect(s.frames.slice(1).every((f) => f.function === 'recurse')).toBe(true);
      }
      expect(p.stats().cut).toBeGreaterThanOrEqual(inSpin.length);
    },
    30_000,
  );

  t(
    'a thread started and ended during the profile: its samples, under its own tid',
    async () => {
      const { child, p, samples } = await start(python!, 'thread');
      child.send('go\n');
      const worker = Number((await child.line((l) => l.startsWith('worker '))).split(' ')[1]);
      await child.line((l) => l === 'done', 20_000);
      await p.close();
      const byThread = (tid: number) => samples.filter((s) => s.tid === tid);
      const inWorker = byThread(worker);
      // 0.5 s of CPU at 499 Hz in the worker, 0.3 s in the main thread.
      expect(inWorker.length).toBeGreaterThan(150);
      // Every one under threading's bootstrap; nearly all in worker() (the rest on the thread's way in or out).
      expect(inWorker.filter((s) => !s.frames[s.frames.length - 1].function.endsWith('_bootstrap'))).toEqual([]);
      expect(inWorker.filter((s) => s.frames.some((f) => f.function === 'worker')).length).toBeGreaterThan(
        0.95 * inWorker.length,
      );
      const inMain = byThread(child.pid);
      expect(inMain.filter((s) => s.frames.some((f) => f.function === 'main_work')).length).toBeGreaterThan(100);
      expect(inMain.some((s) => s.frames.some((f) => f.function === 'worker'))).toBe(false);
      expect(
        p
          .stacks()
          .threads()
          .map((t) => t.thread.tid)
          .sort(),
      ).toEqual([child.pid, worker].sort());
    },
    30_000,
  );
});

test('threads: only the threads asked for are delivered, the others counted as filtered', async () => {
  const { child, p, samples } = await start('/usr/bin/python3.11', 'thread', (pid) => [pid]);
  child.send('go\n');
  await child.line((l) => l === 'done', 20_000);
  await p.close();
  expect(new Set(samples.map((s) => s.tid))).toEqual(new Set([child.pid]));
  // The worker's 0.5 s of CPU at 499 Hz.
  expect(p.stats().filtered).toBeGreaterThan(150);
}, 30_000);

test('the perf buffer transport: the same samples, in time order across threads', async () => {
  const { child, p, samples } = await start('/usr/bin/python3.11', 'thread', undefined, 'perf');
  child.send('go\n');
  await child.line((l) => l === 'done', 20_000);
  await p.close();
  expect(p.transport).toBe('perf');
  expect(samples.filter((s) => s.frames.some((f) => f.function === 'worker')).length).toBeGreaterThan(150);
  expect(samples.filter((s) => s.frames.some((f) => f.function === 'main_work')).length).toBeGreaterThan(100);
  for (let i = 1; i < samples.length; i++) expect(samples[i].ts >= samples[i - 1].ts).toBe(true);
  expect(p.stats()).toMatchObject({ lost: 0, transport: 'perf' });
}, 30_000);

describe('options', () => {
  test.each([
    [{ hz: 0 }, /"hz" takes an integer from 1 to 10000/],
    [{ hz: 99.5 }, /"hz"/],
    [{ duration: -1 }, /"duration"/],
    [{ threads: [] }, /"threads" takes a non-empty array/],
    [{ threads: 'all' }, /"threads"/],
    [{ rate: 99 }, /Unknown option "rate"/],
  ])('%j is PYTRACE_BAD_OPTION', async (options, message) => {
    await expect(profile(process.pid, options as never)).rejects.toMatchObject({
      code: 'PYTRACE_BAD_OPTION',
      message: expect.stringMatching(message),
    });
  });

  test('a process that is not Python is PYTRACE_NOT_PYTHON', async () => {
    await expect(profile(process.pid)).rejects.toMatchObject({ code: 'PYTRACE_NOT_PYTHON' });
  });

  test('duration ends the profile by itself', async () => {
    const child = startChild('/usr/bin/python3.11', [path.join(SAMPLING_SCRIPTS, 'lifecycle.py'), 'deep']);
    await child.line((l) => l === 'ready');
    const p = await profile(child.pid, { duration: 0.2 });
    await new Promise<void>((resolve) => p.on('close', resolve));
    expect(p.closed).toBe(true);
  });
});
