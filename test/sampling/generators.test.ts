/**
 * Samples taken while a generator or a coroutine runs, on every build:
 * a generator's frame (3.11+: owned by the generator, not the thread's data
 * stack) is shown under the frame that resumed it, an awaited coroutine under
 * the one awaiting it, each at a line of its own; and the time splits as the
 * script spends it.
 */
import { SampleEvent } from '../../lib/api/profile';
import { killStarted } from '../helpers/python';
import { cleanups, interpreterRows, reportOf, sampledRun } from './interpreters';

afterEach(killStarted);
afterAll(() => cleanups.forEach((remove) => remove()));

interface Reported {
  file: string;
  functions: Record<string, [number, number]>;
}

/** Why a stack whose innermost frame is `leaf` is not one the script can be in, or null. */
function wrongStack(r: Reported, frames: SampleEvent['frames'], leaf: string, caller: string): string | null {
  const shown = frames.map((f) => `${f.function}:${f.lineno}`).join(' < ');
  const [first, last] = r.functions[leaf];
  const [callerFirst, callerLast] = r.functions[caller];
  const at = (i: number, name: string, from: number, to: number) =>
    frames[i]?.filename === r.file &&
    frames[i].function === name &&
    frames[i].lineno !== null &&
    frames[i].lineno! >= from &&
    frames[i].lineno! <= to;
  if (!at(0, leaf, first, last)) return `${shown}: the leaf is not ${leaf} at its lines`;
  if (!at(1, caller, callerFirst, callerLast)) return `${shown}: ${leaf} is not under ${caller}`;
  return null;
}

describe.each(interpreterRows)('%s', (_, interpreter) => {
  (interpreter.start ? test : test.skip)(
    'a generator under the frame that resumes it, a coroutine under the one awaiting it; the time split 1:1',
    async () => {
      const { pid, child } = await interpreter.start!('generators.py');
      const reported = await reportOf<Reported>(child);
      const { samples } = await sampledRun(pid, child, 499);

      const leafIs = (name: string) => samples.filter((s) => s.frames[0]?.function === name);
      const inGenerator = leafIs('gen_spin');
      const inCoroutine = leafIs('inner_spin');
      const wrong = [
        ...inGenerator.map((s) => wrongStack(reported, s.frames, 'gen_spin', 'consume')),
        ...inCoroutine.map((s) => wrongStack(reported, s.frames, 'inner_spin', 'outer')),
      ].filter((w) => w !== null);
      expect(wrong.slice(0, 5)).toEqual([]);
      // The generator is resumed by sum() (C) from consume(), which <module> called.
      for (const s of inGenerator) expect(s.frames.slice(2).map((f) => f.function)).toEqual(['<module>']);
      // 0.6 s of CPU each at 499 Hz: about 300 samples each.
      expect(inGenerator.length).toBeGreaterThan(200);
      expect(inCoroutine.length).toBeGreaterThan(200);
      expect(Math.abs(inGenerator.length - inCoroutine.length)).toBeLessThan(0.25 * inCoroutine.length);
    },
    60_000,
  );
});
