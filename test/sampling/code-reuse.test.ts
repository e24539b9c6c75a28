/**
 * A code object freed, and its address given to other code, between a sample
 * and its symbolization: the frame is <unknown>, never the new code's name.
 * scripts/code_reuse.py calls short-lived f_K through via_even or via_odd by
 * K's parity, so a frame shown under another code's name shows as an f_K under
 * the wrong caller (or in the wrong file).
 */
import { SampleEvent } from '../../lib/api/profile';
import { killStarted } from '../helpers/python';
import { cleanups, interpreterRows, sampledRun } from './interpreters';

afterEach(killStarted);
afterAll(() => cleanups.forEach((remove) => remove()));

/** Why this f_K frame (and its caller) is not one the script made, or null. */
function misnamed(frames: SampleEvent['frames'], i: number): string | null {
  const f = frames[i];
  const k = Number(/^f_(\d+)$/.exec(f.function)![1]);
  const caller = frames[i + 1]?.function;
  const shown = `${caller} > ${f.function} (${f.filename}:${f.lineno})`;
  if (f.filename !== `<f ${k}>`) return `${shown}: not in its own file`;
  if (caller !== (k % 2 ? 'via_odd' : 'via_even')) return `${shown}: under the other caller`;
  if (f.lineno === null || f.lineno < 1 || f.lineno > 4) return `${shown}: outside its lines`;
  return null;
}

describe.each(interpreterRows)('%s', (_, interpreter) => {
  (interpreter.start ? test : test.skip)(
    "frames of freed and reused code objects are <unknown> or their own, never another code's",
    async () => {
      const { pid, child } = await interpreter.start!('code_reuse.py');
      // A busy event loop now and then (as a user's may be): the batches that follow carry
      // samples of code freed, its address reused, since they were taken.
      const { profile: p, samples } = await sampledRun(pid, child, 499, 'go', (_, n) => {
        if (n % 50 === 0) for (const end = Date.now() + 30; Date.now() < end;);
      });

      const wrong: string[] = [];
      for (const s of samples)
        s.frames.forEach((f, i) => {
          if (/^g_\d+$/.test(f.function)) wrong.push(`${f.function}: never called`);
          if (!/^f_\d+$/.test(f.function)) return;
          const why = misnamed(s.frames, i);
          if (why) wrong.push(why);
        });
      expect(wrong.slice(0, 5)).toEqual([]);
      // 600 x 0.002 s of CPU at 499 Hz: about 600 samples in an f_K, under its caller.
      const inCalls = samples.filter((s) => s.frames.some((f) => /^via_(even|odd)$/.test(f.function))).length;
      // Every frame shown <unknown> is counted as one that could not be symbolized.
      const unknown = samples.reduce((n, s) => n + s.frames.filter((f) => f.function === '<unknown>').length, 0);
      expect(p.stats().unsymbolized).toBe(unknown);
      expect(inCalls).toBeGreaterThan(450);
    },
    60_000,
  );
});
