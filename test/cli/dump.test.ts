/** pytrace dump: every thread's stack, names escaped in text, exact in NDJSON. */
import { killAll, pytrace, target } from './helpers';

afterEach(killAll);

test('text escapes what the target named, --json keeps it exact; the blocked thread is there', async () => {
  const py = await target('blocked_hostile.py');
  const text = pytrace('dump', String(py.pid));
  expect((await text.exited).code).toBe(0);
  expect(text.stdout).toMatch(/^Thread \d+ "python3\.11"\n {4}<module> \(.*blocked_hostile\.py:14\)\n/);
  expect(text.stdout).toContain('    evil\\x1b_name (/virtual/x\\ny.py:3)\n');
  expect(text.stdout).not.toContain('\x1b');

  const json = pytrace('dump', '--json', String(py.pid));
  expect((await json.exited).code).toBe(0);
  const threads = json.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { tid: number; frames: { function: string; filename: string; lineno: number }[] });
  expect(threads).toHaveLength(2);
  expect(threads[1].frames.find((f) => f.lineno === 3 && f.filename.startsWith('/virtual'))).toEqual({
    function: 'evil\x1b_name',
    filename: '/virtual/x\ny.py',
    lineno: 3,
  });
});

test('not a Python: exit status 1 with the code; bad usage: 2', async () => {
  const cli = pytrace('dump', String(process.pid));
  expect((await cli.exited).code).toBe(1);
  expect(cli.stderr).toMatch(/\[PYTRACE_NOT_PYTHON\]$/m);
  expect((await pytrace('dump').exited).code).toBe(2);
});
