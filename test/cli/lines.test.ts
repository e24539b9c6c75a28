/** pytrace lines: each line as it starts, "TIMESTAMP TID file:function:line". */
import { ATTACHED, killAll, pytrace, script, target } from './helpers';

afterEach(killAll);

test('--within start: the lines of start and of what it calls, in order', async () => {
  const py = await target('call_stack.py');
  const cli = pytrace('lines', String(py.pid), '--within', 'start');
  await cli.waitFor(ATTACHED, 'stderr');
  py.send('\n');
  py.endInput();
  expect((await cli.exited).code).toBe(0);
  const file = script('call_stack.py');
  const tid = String(py.pid).padStart(7);
  let last = 0n;
  const rest = cli.lines.map((l) => {
    const m = /^(\d+) (.*)$/.exec(l)!;
    expect(BigInt(m[1])).toBeGreaterThan(last);
    last = BigInt(m[1]);
    return m[2];
  });
  // function_4 runs only "return 1"; function_5's "if False:" is a line of its own (a NOP).
  const at = (fn: string, line: number) => `${tid} ${file}:${fn}:${line}`;
  expect(rest).toEqual([
    at('start', 24),
    at('function_1', 2),
    at('function_3', 10),
    at('start', 25),
    at('function_2', 6),
    at('function_1', 2),
    at('function_3', 10),
    at('start', 26),
    at('function_3', 10),
    at('start', 27),
    at('function_4', 14),
    at('start', 28),
    at('function_5', 19),
    at('function_5', 21),
  ]);
});
