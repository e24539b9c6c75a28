/** Call pairing, summaries, the Trace Event writer and NDJSON: the pure logic, on made-up streams. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FrameEvent, TraceEvent } from '../../lib/index';
import { CallPairing, stackOf } from '../../lib/stream/calls';
import { CallSummary } from '../../lib/stream/call-summary';
import { TraceEventWriter } from '../../lib/export/trace-event-json';
import { ExactProfiler } from '../../lib/profile/exact';
import { eventJson, eventLineWith } from '../../lib/cli/ndjson';
import { toJson } from '../../lib/cli/output';
import { CallSummaryPrinter } from '../../lib/cli/call-table';
import { Output } from '../../lib/cli/output';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pytrace-calls-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const frame = (type: 'function-entry' | 'function-return', fn: string, ts: number, tid = 10, pid = 10): FrameEvent => ({
  type,
  pid,
  tid,
  ts: BigInt(ts),
  filename: '/app/x.py',
  function: fn,
  lineno: fn.length,
});
const enter = (fn: string, ts: number, tid?: number, pid?: number) => frame('function-entry', fn, ts, tid, pid);
const leave = (fn: string, ts: number, tid?: number, pid?: number) => frame('function-return', fn, ts, tid, pid);

describe('CallPairing', () => {
  test('durations and self times; depth; a return whose entry predates the trace is unpaired', () => {
    const p = new CallPairing();
    expect(p.observe(leave('before', 5))).toBeNull();
    p.observe(enter('f', 100));
    p.observe(enter('g', 110));
    expect(p.depth(10)).toBe(2);
    const g = p.observe(leave('g', 140))!;
    expect([g.durationNs, g.selfNs, g.depth]).toEqual([30, 30, 1]);
    p.observe(enter('g', 150));
    p.observe(leave('g', 170));
    const f = p.observe(leave('f', 200))!;
    expect([f.durationNs, f.selfNs]).toEqual([100, 50]);
    expect(p.depth(10)).toBe(0);
    expect(p.stats).toEqual({ paired: 3, unpaired: 1, abandoned: 0 });
  });

  test('threads pair on their own; a lost return is abandoned when its caller returns', () => {
    const p = new CallPairing();
    p.observe(enter('f', 0, 1));
    p.observe(enter('f', 5, 2));
    p.observe(enter('lost', 10, 1));
    const f1 = p.observe(leave('f', 50, 1))!;
    expect(f1.durationNs).toBe(50);
    expect(p.stats.abandoned).toBe(1);
    expect(p.depth(2)).toBe(1);
    expect(stackOf(p.current(2)!).map((e) => e.function)).toEqual(['f']);
  });

  test('resetProcess forgets only that process', () => {
    const p = new CallPairing();
    p.observe(enter('a', 0, 1, 1));
    p.observe(enter('b', 0, 2, 2));
    p.resetProcess(1);
    expect(p.observe(leave('a', 5, 1, 1))).toBeNull();
    expect(p.observe(leave('b', 5, 2, 2))!.durationNs).toBe(5);
  });
});

test('CallSummary: a recursive function total counts its outermost call; self sums every call; by self time', () => {
  const p = new CallPairing();
  const s = new CallSummary();
  const feed = (ev: FrameEvent) => {
    const c = p.observe(ev);
    if (c) s.add(c);
  };
  // r(0..100) calls r(10..40), which calls leaf(20..30).
  [enter('r', 0), enter('r', 10), enter('leaf', 20), leave('leaf', 30), leave('r', 40), leave('r', 100)].forEach(feed);
  const rows = s.functions();
  expect(rows.map((r) => [r.function, r.calls, r.totalNs, r.selfNs, r.meanNs, r.maxNs])).toEqual([
    ['r', 2, 100, 90, 100, 100],
    ['leaf', 1, 10, 10, 10, 10],
  ]);
});

test('the summary text escapes the names the program chose', async () => {
  const file = path.join(tmp, 'summary.txt');
  const out = new Output({ file });
  const printer = new CallSummaryPrinter();
  const evil = 'f\x1b[2J\n';
  printer.print({ ...enter(evil, 0) });
  printer.print({ ...leave(evil, 1500) });
  printer.write(out, false, {});
  await out.drained();
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  expect(lines[2]).toBe('        1      1.5 us      1.5 us      1.5 us      1.5 us  f\\x1b[2J\\n (/app/x.py:6)');
});

describe('TraceEventWriter', () => {
  const write = (events: TraceEvent[], options = {}) => {
    const file = path.join(tmp, `w${Math.random()}.json`);
    const w = new TraceEventWriter(file, options);
    for (const e of events) w.write(e);
    w.close();
    return JSON.parse(fs.readFileSync(file, 'utf8')) as {
      ph: string;
      name?: string;
      ts?: number;
      tid: number;
      args?: Record<string, unknown>;
    }[];
  };

  test('B/E per call with file and line; no E for a return that began before; open calls closed at the last timestamp', () => {
    const out = write([
      leave('before', 1000),
      enter('f', 2000),
      enter('g', 2500),
      leave('g', 3001),
      enter('h', 4000),
    ]).filter((e) => e.ph !== 'M');
    expect(out.map((e) => [e.ph, e.name ?? '', e.ts])).toEqual([
      ['B', 'f', 1],
      ['B', 'g', 1.5],
      ['E', '', 2.001],
      ['B', 'h', 3],
      ['E', '', 3],
      ['E', '', 3],
    ]);
    expect(out[0].args).toEqual({ file: '/app/x.py', line: 1 });
  });

  test('gc and imports nest with calls; an import done whose start came before gives no E; audit is an instant', () => {
    const ev = (e: object) => ({ pid: 10, tid: 10, ...e }) as TraceEvent;
    const out = write([
      ev({ type: 'import-find-load-done', module: 'early', found: true, ts: 1000n }),
      ev({ type: 'import-find-load-start', module: 'm', ts: 2000n }),
      enter('<module>', 2100),
      ev({ type: 'gc-start', generation: 0, ts: 2200n }),
      ev({ type: 'gc-done', collected: 3, ts: 2300n }),
      leave('<module>', 2400),
      ev({ type: 'import-find-load-done', module: 'm', found: true, ts: 2500n }),
      ev({
        type: 'audit',
        event: 'open',
        args: ['/etc/x', 'r', 5n, Buffer.from('ab'), { type: 'list' }, undefined, null],
        argCount: 7,
        ts: 2600n,
      }),
    ]).filter((e) => e.ph !== 'M');
    expect(out.map((e) => `${e.ph}${e.name ? ' ' + e.name : ''}`)).toEqual([
      'B import m',
      'B <module>',
      'B gc',
      'E',
      'E',
      'E',
      'i open',
    ]);
    expect(out[3].args).toEqual({ collected: 3 });
    expect(out[6].args).toEqual({ args: ['/etc/x', 'r', '5', "b'ab'", { type: 'list' }, null, null] });
  });

  test('under a size cap the file never passes it, whatever the names (bytes, not characters)', () => {
    for (const max of [4096, 5000, 9999, 20000]) {
      const file = path.join(tmp, `cap${max}.json`);
      const w = new TraceEventWriter(file, { maxBytes: max });
      for (let i = 0; i < 3000 && !w.isFull; i++) {
        const fn = i % 3 ? 'f' : 'ƒ\u4e2d\u{1f600}'.repeat(1 + (i % 7));
        w.write(enter(fn, i * 10, 1 + (i % 3)));
        w.write({ pid: 10, tid: 1 + (i % 3), ts: BigInt(i * 10 + 1), type: 'gc-start', generation: 2 });
        if (i % 2)
          w.write({ pid: 10, tid: 1 + (i % 3), ts: BigInt(i * 10 + 2), type: 'gc-done', collected: 123456789 });
        if (i % 4) w.write(leave(fn, i * 10 + 2, 1 + (i % 3)));
        // A long instant: one event can be bigger than what is left under the cap.
        if (i % 2 === 0)
          w.write({
            pid: 10,
            tid: 1,
            ts: BigInt(i * 10 + 3),
            type: 'audit',
            event: 'marshal.loads',
            args: ['x'.repeat(1000)],
          });
      }
      w.close();
      expect(w.isFull).toBe(true);
      const size = fs.statSync(file).size;
      expect(size).toBeLessThanOrEqual(max);
      expect(size).toBe(w.bytes);
      expect(size).toBeGreaterThan(max / 2); // room is kept for the ends of every open slice
      JSON.parse(fs.readFileSync(file, 'utf8'));
    }
  });

  test('names its tracks; a size cap stops it once, the file complete and balanced', () => {
    let full = 0;
    const events: TraceEvent[] = [];
    for (let i = 0; i < 10000; i++) events.push(enter('f', i * 10), enter('g', i * 10 + 1), leave('g', i * 10 + 2));
    const out = write(events, { maxBytes: 8192, onFull: () => full++, threadName: () => 'main thread (x)' });
    expect(full).toBe(1);
    expect(out.find((e) => e.ph === 'M' && e.name === 'thread_name')!.args).toEqual({ name: 'main thread (x)' });
    const b = out.filter((e) => e.ph === 'B').length;
    expect(out.filter((e) => e.ph === 'E').length).toBe(b);
    expect(b).toBeGreaterThan(30);
  });
});

test('ExactProfiler: self time per stack, outermost first, exact', () => {
  const x = new ExactProfiler();
  [enter('f', 0), enter('g', 10), leave('g', 40), enter('g', 50), leave('g', 60), leave('f', 100)].forEach((e) =>
    x.observe(e),
  );
  const [t] = x.profile.threads();
  expect(t.stacks.map((s) => [s.frames.map((f) => f.function).join(';'), s.value])).toEqual([
    ['f;g', 40],
    ['f', 60],
  ]);
  expect(x.profile.total()).toBe(100);
});

test('eventJson writes what toJson writes, fast path or not', () => {
  const events: object[] = [
    { ...leave('f', 1), durationNs: 12, selfNs: null, ts: 2n ** 70n },
    { ...enter('\u0000x\x7f\x9b\u2028\ud800"\\', 3), truncated: ['function'] },
    {
      type: 'audit',
      pid: 1,
      tid: 1,
      ts: 5n,
      event: 'e',
      args: ['a', Buffer.from('b'), 3n, null, { type: 't' }],
      argCount: 5,
    },
    { type: 'gc-done', pid: 1, tid: 1, ts: 5n, collected: NaN, x: undefined, y: true },
    // The same keys in another order, and a subset: layouts of their own.
    { pid: 1, type: 'gc-done', tid: 1, ts: 5n, collected: 1, x: undefined, y: true },
    { type: 'gc-done', pid: 1 },
    {},
    // Frames and heads written as cached pieces, and the same keys with values of other types (member by member).
    { type: 'function-entry', pid: 1, tid: 2, ts: 5n, filename: 'a\u2028"\\\x7f', function: '\ud800x', lineno: 3 },
    { type: 'function-entry', pid: -0, tid: 2 ** 40, ts: 5n, filename: 'a', function: 'b', lineno: 3.5 },
    { type: 'function-return', pid: 1, tid: 2, ts: 6n, filename: 'a', function: 'b', lineno: NaN, durationNs: 2 ** 33 },
    { type: 'function-entry', pid: '1', tid: 2, ts: 5n, filename: 1, function: 'b', lineno: '3' },
    { type: undefined, pid: 1, tid: 2, filename: undefined, function: 'b', lineno: 3 },
  ];
  // A timestamp that is no bigint after the head: member by member.
  events.push({ type: 'function-entry', pid: 1, tid: 2, ts: 5, filename: 'a', function: 'b', lineno: 3 });
  for (const e of [...events, ...events]) {
    expect(eventJson(e, { depth: 3 })).toBe(toJson({ ...e, depth: 3 }));
    expect(eventJson(e)).toBe(toJson(e));
    // The line the hierarchy writes: the closing members, "}" and the newline as one piece.
    expect(eventLineWith(e, ',"depth":3}\n')).toBe(toJson({ ...e, depth: 3 }) + '\n');
  }
});
