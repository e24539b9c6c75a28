/**
 * pytrace calls: the HOWTO's call_stack.d and show-call-hierarchy.stp layouts,
 * line by line, on call_stack.py (the HOWTO's call tree, at its line numbers).
 */
import { ATTACHED, FINISHED, killAll, pytrace, script, target } from './helpers';

afterEach(killAll);

const FILE = script('call_stack.py');

/** The HOWTO's sample output of call_stack.d, whitespace as printf("%d\t%*s:%*s...") makes it, without timestamps. */
const HOWTO = [
  ' function-entry:call_stack.py:start:23',
  ' function-entry: call_stack.py:function_1:1',
  ' function-entry:  call_stack.py:function_3:9',
  'function-return:  call_stack.py:function_3:10',
  'function-return: call_stack.py:function_1:2',
  ' function-entry: call_stack.py:function_2:5',
  ' function-entry:  call_stack.py:function_1:1',
  ' function-entry:   call_stack.py:function_3:9',
  'function-return:   call_stack.py:function_3:10',
  'function-return:  call_stack.py:function_1:2',
  'function-return: call_stack.py:function_2:6',
  ' function-entry: call_stack.py:function_3:9',
  'function-return: call_stack.py:function_3:10',
  ' function-entry: call_stack.py:function_4:13',
  'function-return: call_stack.py:function_4:14',
  ' function-entry: call_stack.py:function_5:18',
  'function-return: call_stack.py:function_5:21',
  'function-return:call_stack.py:start:28',
];

/** The same tree as show-call-hierarchy.stp prints it, after "%6d comm(tid):". */
const STAP_START = [
  ' => start in F:23',
  '  => function_1 in F:1',
  '   => function_3 in F:9',
  '   <= function_3 in F:10',
  '  <= function_1 in F:2',
  '  => function_2 in F:5',
  '   => function_1 in F:1',
  '    => function_3 in F:9',
  '    <= function_3 in F:10',
  '   <= function_1 in F:2',
  '  <= function_2 in F:6',
  '  => function_3 in F:9',
  '  <= function_3 in F:10',
  '  => function_4 in F:13',
  '  <= function_4 in F:14',
  '  => function_5 in F:18',
  '  <= function_5 in F:21',
  ' <= start in F:28',
].map((l) => l.replace('F', FILE));

/** Splits "TIMESTAMP\tREST" lines; checks the timestamps are increasing CLOCK_MONOTONIC ns within [from, to]. */
function dtraceLines(lines: string[], from: bigint, to: bigint): string[] {
  let last = 0n;
  return lines.map((line) => {
    const m = /^(\d+)\t(.*)$/.exec(line);
    if (!m) throw new Error(`not "TIMESTAMP<tab>...": ${JSON.stringify(line)}`);
    const ts = BigInt(m[1]);
    expect(ts).toBeGreaterThan(last);
    expect(ts).toBeGreaterThanOrEqual(from);
    expect(ts).toBeLessThanOrEqual(to);
    last = ts;
    return m[2];
  });
}

/**
 * Splits thread_indent's "%6d comm(tid):" prefix off; checks the width, the
 * name and thread, and the time: 0 whenever the thread starts from depth 0,
 * then non-decreasing microseconds.
 */
function stapLines(lines: string[], tid: number): string[] {
  let depth = 0;
  let last = 0;
  return lines.map((line) => {
    const m = /^( *\d+) python3\.11\((\d+)\):(.*)$/.exec(line);
    if (!m) throw new Error(`not "%6d python3.11(tid):...": ${JSON.stringify(line)}`);
    expect(m[1].length).toBeGreaterThanOrEqual(6);
    if (m[1].length > 6) expect(m[1].startsWith(' ')).toBe(false);
    expect(Number(m[2])).toBe(tid);
    const us = Number(m[1]);
    if (depth === 0) expect(us).toBe(0);
    else expect(us).toBeGreaterThanOrEqual(last);
    last = us;
    depth += m[3].includes(' => ') ? 1 : -1;
    return m[3];
  });
}

test("--format dtrace prints call_stack.d's layout, until the target exits", async () => {
  const py = await target('call_stack.py');
  const from = process.hrtime.bigint();
  const cli = pytrace('calls', String(py.pid));
  await cli.waitFor(ATTACHED, 'stderr');
  py.send('\n');
  py.endInput();
  expect((await cli.exited).code).toBe(0);
  const to = process.hrtime.bigint();
  const expected = [
    ' function-entry:call_stack.py:function_3:9',
    'function-return:call_stack.py:function_3:10',
    ...HOWTO,
    ' function-entry:call_stack.py:function_4:13',
    'function-return:call_stack.py:function_4:14',
    // Its entry came before the trace: the indent stays at 0.
    'function-return:call_stack.py:<module>:41',
  ];
  expect(dtraceLines(cli.lines, from, to)).toEqual(expected);
  expect(cli.stderr.match(FINISHED)!.slice(1)).toEqual([String(expected.length), '0']);
});

test("--within start prints exactly the HOWTO's sample output", async () => {
  const py = await target('call_stack.py');
  const from = process.hrtime.bigint();
  const cli = pytrace('calls', String(py.pid), '--within', 'start');
  await cli.waitFor(ATTACHED, 'stderr');
  py.send('\n');
  py.endInput();
  expect((await cli.exited).code).toBe(0);
  expect(dtraceLines(cli.lines, from, process.hrtime.bigint())).toEqual(HOWTO);
});

test("--format stap prints show-call-hierarchy.stp's layout; Ctrl-C stops it", async () => {
  const py = await target('call_stack.py');
  const cli = pytrace('calls', String(py.pid), '--format', 'stap');
  await cli.waitFor(ATTACHED, 'stderr');
  py.send('\n');
  await cli.waitFor(/<= function_4 in .*:14\n/);
  cli.kill('SIGINT');
  expect(await cli.exited).toEqual({ code: 0, signal: null });
  expect(cli.stderr).toMatch(FINISHED);
  expect(stapLines(cli.lines, py.pid)).toEqual([
    ` => function_3 in ${FILE}:9`,
    ` <= function_3 in ${FILE}:10`,
    ...STAP_START,
    ` => function_4 in ${FILE}:13`,
    ` <= function_4 in ${FILE}:14`,
  ]);
  py.endInput();
  await py.exited;
});

test('--within start --format stap: the subtree only', async () => {
  const py = await target('call_stack.py');
  const cli = pytrace('calls', String(py.pid), '--within', 'start', '--format', 'stap');
  await cli.waitFor(ATTACHED, 'stderr');
  py.send('\n');
  py.endInput();
  expect((await cli.exited).code).toBe(0);
  expect(stapLines(cli.lines, py.pid)).toEqual(STAP_START);
});

test('--json: one object per event, with its depth', async () => {
  const py = await target('call_stack.py');
  const cli = pytrace('calls', String(py.pid), '--within', 'function_2', '--json');
  await cli.waitFor(ATTACHED, 'stderr');
  py.send('\n');
  py.endInput();
  expect((await cli.exited).code).toBe(0);
  const events = cli.lines.map((l) => JSON.parse(l));
  expect(events.map((e) => [e.type, e.function, e.lineno, e.depth])).toEqual([
    ['function-entry', 'function_2', 5, 0],
    ['function-entry', 'function_1', 1, 1],
    ['function-entry', 'function_3', 9, 2],
    ['function-return', 'function_3', 10, 2],
    ['function-return', 'function_1', 2, 1],
    ['function-return', 'function_2', 6, 0],
  ]);
  for (const e of events) {
    expect(e).toMatchObject({ pid: py.pid, tid: py.pid, filename: FILE });
    expect(typeof e.ts).toBe('number');
  }
});

test('depth and time per thread: three threads, each its own hierarchy', async () => {
  const calls = 3000;
  const file = script('threads.py');
  const py = await target('threads.py', String(calls));
  const cli = pytrace('calls', String(py.pid), '--within', 'outer', '--format', 'stap');
  await cli.waitFor(ATTACHED, 'stderr');
  py.send('\n');
  expect((await cli.exited).code).toBe(0);
  const byThread = new Map<number, string[]>();
  for (const line of cli.lines) {
    const tid = Number(/^ *\d+ python3\.11\((\d+)\):/.exec(line)![1]);
    if (!byThread.has(tid)) byThread.set(tid, []);
    byThread.get(tid)!.push(line);
  }
  expect(byThread.size).toBe(3);
  expect(byThread.has(py.pid)).toBe(false);
  const expected = [` => outer in ${file}:11`];
  for (let i = 0; i < calls; i++) expected.push(`  => inner in ${file}:7`, `  <= inner in ${file}:8`);
  // Its return reports the "for" line, where the loop ended.
  expected.push(` <= outer in ${file}:12`);
  for (const [tid, lines] of byThread) expect(stapLines(lines, tid)).toEqual(expected);
});
