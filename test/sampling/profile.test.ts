/**
 * profile() against real interpreters, every build that is here
 * (interpreters.ts): a script spends 2 s of CPU in known nested functions,
 * 3:1 between two leaves; every sample's stack must be one the script can be
 * in (file, function, line exactly), and the leaves' shares within 3 points
 * of 75% / 25%.
 */
import { SampleEvent } from '../../lib/api/profile';
import { killStarted } from '../helpers/python';
import { cleanups, interpreterRows, reportOf, sampledRun } from './interpreters';

afterEach(killStarted);
afterAll(() => cleanups.forEach((remove) => remove()));

interface Reported {
  file: string;
  tid: number;
  functions: Record<string, [number, number]>;
  places: Record<string, number>;
}

/** Why `frames` (innermost first) is not a stack shares.py can be in, or null if it is. */
export function notAStackOf(r: Reported, frames: SampleEvent['frames']): string | null {
  const outer = [...frames].reverse();
  const shown = outer.map((f) => `${f.function}:${f.lineno}`).join(' > ');
  // Outermost first: <module> calls main calls parent calls a leaf.
  const chain = ['<module>', 'main', 'parent'];
  for (let i = 0; i < outer.length; i++) {
    const f = outer[i];
    if (f.filename !== r.file) return `${shown}: frame ${i} is in ${f.filename}`;
    const innermost = i === outer.length - 1;
    const expected = i < chain.length ? [chain[i]] : i === chain.length ? ['leaf_a', 'leaf_b'] : [];
    if (!expected.includes(f.function)) return `${shown}: frame ${i} is ${f.function}, not ${expected.join(' or ')}`;
    if (!innermost) {
      const callee = outer[i + 1].function;
      if (f.lineno !== r.places[callee])
        return `${shown}: ${f.function} calls ${callee} from line ${f.lineno}, not ${r.places[callee]}`;
    } else if (f.function === '<module>') {
      if (f.lineno !== r.places.go && f.lineno !== r.places.main) return `${shown}: <module> at line ${f.lineno}`;
    } else {
      const [first, last] = r.functions[f.function];
      if (f.lineno === null || f.lineno < first || f.lineno > last)
        return `${shown}: ${f.function} at line ${f.lineno}, outside ${first}-${last}`;
    }
  }
  return outer.length ? null : 'an empty stack';
}

describe.each(interpreterRows)('%s', (_, interpreter) => {
  (interpreter.start ? test : test.skip)(
    'every sample is a stack the script can be in, and the leaves take 3:1 of the CPU within 3 points',
    async () => {
      const { pid, child } = await interpreter.start!('shares.py');
      const reported = await reportOf<Reported>(child);
      const { profile: p, samples } = await sampledRun(pid, child, 499);

      const wrong = samples.map((s) => notAStackOf(reported, s.frames)).filter((w) => w !== null);
      expect(wrong.slice(0, 5)).toEqual([]);
      expect(new Set(samples.map((s) => s.nsTid ?? s.tid))).toEqual(new Set([reported.tid]));
      const leaf = (name: string) => samples.filter((s) => s.frames[0].function === name).length;
      const a = leaf('leaf_a');
      const b = leaf('leaf_b');
      // 2 CPU seconds at 499 Hz: about 1000 samples, nearly all in a leaf.
      expect(samples.length).toBeGreaterThan(800);
      expect(a + b).toBeGreaterThan(0.95 * samples.length);
      expect(Math.abs((100 * a) / (a + b) - 75)).toBeLessThan(3);

      const stats = p.stats();
      expect(stats.delivered).toBe(samples.length);
      expect(stats.lost).toBe(0);
      expect(stats.taken).toBe(stats.delivered + Object.values(stats.unwindFailures).reduce((x, y) => x + y, 0));
      // The StackProfile has them all, frames outermost first.
      const stacks = p.stacks();
      expect(stacks.total()).toBe(samples.length);
      const top = stacks.threads()[0].stacks.sort((x, y) => y.value - x.value)[0];
      expect(top.frames.map((f) => f.function)).toEqual(['<module>', 'main', 'parent', 'leaf_a']);
    },
    60_000,
  );
});
