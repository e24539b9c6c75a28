/**
 * dump() against real interpreters (every build that is here): a script's
 * three blocked threads come out frame by frame as the script sees them
 * itself (sys._current_frames() and traceback), the main thread too.
 */
import { dump } from '../../lib/api/dump';
import { killStarted, until } from '../helpers/python';
import { blockedReadingStdin, cleanups, interpreterRows } from './interpreters';

afterEach(killStarted);
afterAll(() => cleanups.forEach((remove) => remove()));

type Reported = Record<string, { name: string; frames: [string, string, number][] }>;

describe.each(interpreterRows)('%s', (_, interpreter) => {
  (interpreter.start ? test : test.skip)(
    'every blocked thread, frame by frame as the script sees it',
    async () => {
      const { pid, child } = await interpreter.start!('blocked_threads.py');
      child.send('go\n');
      const reported = JSON.parse(
        (await child.line((l) => l.startsWith('result '))).slice('result '.length),
      ) as Reported;
      expect(await until(() => blockedReadingStdin(pid), 5000)).toBe(true);

      const threads = await dump(pid);
      // The main thread and the three.
      expect(threads).toHaveLength(4);
      for (const [nativeId, want] of Object.entries(reported)) {
        const t = threads.find((x) => (x.nsTid ?? x.tid) === Number(nativeId));
        expect(t).toBeDefined();
        expect(t!.status).toBe('ok');
        // traceback gives co_name: the qualified name's last part.
        const got = [...t!.frames]
          .reverse()
          .map((f) => [f.filename, f.function.slice(f.function.lastIndexOf('.') + 1), f.lineno]);
        expect(got).toEqual(want.frames);
      }
      const main = threads.find((t) => !(String(t.nsTid ?? t.tid) in reported))!;
      expect(main.status).toBe('ok');
      expect(main.frames.map((f) => f.function)).toEqual(['<module>']);
      expect(main.name).toBeDefined();
    },
    30_000,
  );
});
