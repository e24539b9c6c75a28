/**
 * Samples taken while the interpreter changes its frame chain, on every
 * build here (interpreters.ts): a sample must be a stack the script can be
 * in, or be counted as a failed walk; never a stack read half-updated.
 * - reentry.py enters the interpreter from C (map, sorted's key) thousands
 *   of times per millisecond from two depths in turn, sampled at 4999 Hz:
 *   the real race (on 3.11/3.12 a new _PyCFrame is linked before its
 *   current frame is set) is hit now and then.
 * - stale_chain.py (3.11/3.12, where the walker can check frames against the
 *   thread's data stack) holds the state that race leaves, a current frame
 *   pointing at dead frames, for 0.5 s of CPU: every sample of it must be
 *   counted as staleFrame.
 * - chunks.py recurses through several chunks of the data stack: each frame
 *   still passes the check, none is lost.
 */
import { profile, SampleEvent } from '../../lib/api/profile';
import { headerLayout, NONE } from '../../lib/sampling/layout';
import { killStarted } from '../helpers/python';
import { CallGraph, notAStackOf } from './call-graph';
import { cleanups, interpreterRows, reportOf, sampledRun } from './interpreters';

afterEach(killStarted);
afterAll(() => cleanups.forEach((remove) => remove()));

describe.each(interpreterRows)('%s', (_, interpreter) => {
  (interpreter.start ? test : test.skip)(
    'C-level re-entries from two depths at 4999 Hz: every sample is a stack the script can be in',
    async () => {
      const { pid, child } = await interpreter.start!('reentry.py');
      const graph = await reportOf<CallGraph>(child);
      const { profile: p, samples } = await sampledRun(pid, child, 4999);

      const wrong = samples.map((s) => notAStackOf(graph, s.frames)).filter((w) => w !== null);
      expect(wrong.slice(0, 5)).toEqual([]);
      // 1 CPU second at 4999 Hz: about 5000 samples; walks that met a chain mid-update
      // are counted, not sent: a few instructions per call (0.5% here on Debian builds, 5% on
      // pyenv's, whose frame push and pop are calls); a fifth would mean the check is wrong.
      expect(samples.length).toBeGreaterThan(2500);
      const stats = p.stats();
      expect(stats.unwindFailures.staleFrame).toBeLessThan(0.2 * stats.taken);
      expect(stats.taken).toBe(stats.delivered + Object.values(stats.unwindFailures).reduce((x, y) => x + y, 0));
    },
    90_000,
  );
});

describe.each(interpreterRows)('%s', (label, interpreter) => {
  // Only the header layouts (3.11/3.12) have a _PyCFrame and the data stack's bounds.
  const checked = /3\.1[12](?!\d)/.test(label);
  (interpreter.start && checked ? test : test.skip)(
    `a current frame pointing at dead frames: counted as staleFrame, never sent${checked ? '' : ' (3.11/3.12 only: no _PyCFrame)'}`,
    async () => {
      const { pid, child } = await interpreter.start!('stale_chain.py');
      const graph = JSON.parse(
        (await child.line((l) => l.startsWith('result '))).slice('result '.length),
      ) as CallGraph & {
        minor: number;
      };
      const layout = headerLayout(graph.minor)!;
      expect(layout.datastack.top).not.toBe(NONE);
      const p = await profile(pid, { hz: 499 });
      const samples: SampleEvent[] = [];
      p.on('sample', (s) => samples.push(s));
      child.send(`go ${layout.thread.frame} ${layout.thread.cframeCurrentFrame}\n`);
      await child.line((l) => l === 'done', 30_000);
      await p.close();

      const wrong = samples.map((s) => notAStackOf(graph, s.frames)).filter((w) => w !== null);
      expect(wrong.slice(0, 5)).toEqual([]);
      // 0.5 s of CPU at 499 Hz with the chain stale: about 250 samples, each one failing the
      // check (the dead leaf frame ends far above the data stack's top). Half of that, for margin.
      expect(p.stats().unwindFailures.staleFrame).toBeGreaterThan(125);
    },
    60_000,
  );
});

describe.each(interpreterRows)('%s', (_, interpreter) => {
  (interpreter.start ? test : test.skip)(
    'frames over several data stack chunks: every sample whole, none counted stale',
    async () => {
      const { pid, child } = await interpreter.start!('chunks.py');
      const r = JSON.parse((await child.line((l) => l.startsWith('result '))).slice('result '.length)) as {
        file: string;
        depth: number;
      };
      const p = await profile(pid, { hz: 499 });
      const samples: SampleEvent[] = [];
      p.on('sample', (s) => samples.push(s));
      child.send('go\n');
      await child.line((l) => l === 'done', 30_000);
      await p.close();
      // 1 s of CPU at 499 Hz at the bottom of the recursion: about 500 samples.
      const deep = samples.filter((s) => s.frames.filter((f) => f.function === 'big').length === r.depth + 1);
      expect(deep.length).toBeGreaterThan(250);
      expect(p.stats().unwindFailures.staleFrame).toBe(0);
      for (const s of deep) expect(s.frames[s.frames.length - 1].function).toBe('<module>');
    },
    60_000,
  );
});
