/**
 * Layouts and symbolization against real interpreters: a script stops inside
 * a known call stack and prints, per frame, id(code), file, qualified name and
 * line; the test finds the interpreter (findRuntime), walks that thread's
 * frames through /proc/PID/mem with the layout, and symbolizes each frame.
 * Every build that is here (interpreters.ts); absent ones are skipped, saying so.
 */
import { TargetMemory } from '../../lib/sampling/memory';
import { findRuntime } from '../../lib/sampling/runtime';
import { codeIdentity, Symbolizer } from '../../lib/sampling/symbols';
import { DEFAULT_MAX_CHARS } from '../../lib/sampling/strings';
import { walkThread } from '../helpers/frame-walk';
import { killStarted, until } from '../helpers/python';
import { blockedReadingStdin, cleanups, interpreterRows } from './interpreters';

afterEach(killStarted);
afterAll(() => cleanups.forEach((remove) => remove()));

interface Reported {
  version: string;
  thread: { native: number; ident: string };
  frames: { code: string; file: string; function: string; line: number }[];
}

describe.each(interpreterRows)('%s', (_, interpreter) => {
  (interpreter.start ? test : test.skip)(
    'frames read with the layout are the ones the script reports, names and lines',
    async () => {
      const { pid, child } = await interpreter.start!('self_frames.py');
      child.send('go\n');
      const line = await child.line((l) => l.startsWith('result '));
      const reported = JSON.parse(line.slice('result '.length)) as Reported;
      // The script's main thread prints, then blocks reading stdin: read its frames once it is there.
      expect(await until(() => blockedReadingStdin(pid), 5000)).toBe(true);

      const runtime = findRuntime(pid);
      expect(runtime.version.text).toBe(reported.version);
      expect(runtime.layout.source).toBe(runtime.version.minor >= 13 ? 'debug-offsets' : 'headers');
      if (interpreter.libpython) expect(runtime.object).toMatch(interpreter.libpython);

      const memory = new TargetMemory(pid);
      const symbolizer = new Symbolizer(runtime);
      try {
        const frames = walkThread(runtime, memory, {
          native: reported.thread.native,
          ident: BigInt(reported.thread.ident),
        });
        expect(frames.map((f) => f.code.toString())).toEqual(reported.frames.map((f) => f.code));

        const got = frames.map((f) => symbolizer.frame(f.code, f.offset));
        const want = reported.frames.map((f) => {
          const points = Array.from(f.file);
          return {
            filename: points.slice(0, DEFAULT_MAX_CHARS).join(''),
            function: f.function,
            line: f.line,
            truncated: points.length > DEFAULT_MAX_CHARS,
          };
        });
        expect(got).toEqual(want);
        // Every str kind went through: latin-1 (é), UCS-2 (中), UCS-4 (U+20000), a subclass, and one cut.
        expect(got.map((g) => g.function).join(' ')).toMatch(/inner_\u{20000} .*middle_中 outer_é/u);
        expect(got.filter((g) => g.truncated)).toHaveLength(1);
        expect(got.map((g) => g.filename)).toContain('/virtual/subclass-\u00e9/run.py');

        // Cached per (pid, address, identity): the same key reads nothing again. The identity
        // a sample carries must be the code's own (its file and name pointers, first line), or
        // the code it saw is gone: an error, never the other code's name.
        const size = symbolizer.cache.size;
        frames.forEach((f) => symbolizer.frame(f.code, f.offset));
        expect(symbolizer.cache.size).toBe(size);
        const code = symbolizer.code(frames[0].code);
        const str = (field: number) => {
          const address = memory.u64(frames[0].code + BigInt(field));
          const length = runtime.layout.unicode.length;
          return {
            address,
            length: memory.i64(address + BigInt(length)),
            hash: memory.i64(address + BigInt(length + 8)),
          };
        };
        const identity = codeIdentity(str(runtime.layout.code.filename), str(runtime.layout.code.name), code.firstLine);
        expect(code.identities[0]).toBe(identity);
        expect(symbolizer.frame(frames[0].code, frames[0].offset, identity)).toEqual(got[0]);
        expect(symbolizer.cache.size).toBe(size + 1);
        expect(() => symbolizer.frame(frames[0].code, frames[0].offset, (identity ^ 1) >>> 0)).toThrow(
          expect.objectContaining({ code: 'PYTRACE_CODE_GONE' }),
        );
      } finally {
        symbolizer.close();
        memory.close();
      }
    },
  );
});
