/**
 * pytrace record --exact: the Trace Event timeline, checked against the
 * format's required fields (ph, ts, pid, tid, name; B/E balanced and ts
 * monotonic per thread) and against what the script measured itself.
 * Perfetto's trace processor is in neither the npm registry nor Debian's
 * archive, so it is not run here.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ATTACHED, CLI, killAll, Proc, pytrace, PYTHON, target } from './helpers';

afterEach(killAll);

const TIMED = path.resolve(__dirname, '../scripts/timed_calls.py');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pytrace-record-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface TraceEvent {
  ph: string;
  name?: string;
  cat?: string;
  pid: number;
  tid: number;
  ts?: number;
  s?: string;
  args?: Record<string, unknown>;
}

interface Slice {
  name: string;
  cat: string;
  tid: number;
  ts: number;
  dur: number;
  parent: Slice | null;
  args: Record<string, unknown>;
}

/** Checks the format's rules and pairs B with E per thread; throws on the first rule broken. */
function slices(events: TraceEvent[]): Slice[] {
  const open = new Map<number, Slice[]>();
  const last = new Map<number, number>();
  const out: Slice[] = [];
  for (const e of events) {
    expect(['B', 'E', 'i', 'M']).toContain(e.ph);
    expect(Number.isInteger(e.pid) && Number.isInteger(e.tid)).toBe(true);
    if (e.ph !== 'E') expect(typeof e.name).toBe('string');
    if (e.ph === 'M') continue;
    expect(typeof e.ts).toBe('number');
    expect(e.ts!).toBeGreaterThanOrEqual(last.get(e.tid) ?? 0);
    last.set(e.tid, e.ts!);
    const stack = open.get(e.tid) ?? [];
    open.set(e.tid, stack);
    if (e.ph === 'B')
      stack.push({
        name: e.name!,
        cat: e.cat!,
        tid: e.tid,
        ts: e.ts!,
        dur: -1,
        parent: stack[stack.length - 1] ?? null,
        args: e.args ?? {},
      });
    else if (e.ph === 'E') {
      const s = stack.pop();
      expect(s).toBeDefined();
      s!.dur = e.ts! - s!.ts;
      out.push(s!);
    }
  }
  for (const stack of open.values()) expect(stack).toHaveLength(0);
  return out;
}

function readTrace(file: string): TraceEvent[] {
  const events = JSON.parse(fs.readFileSync(file, 'utf8')) as TraceEvent[];
  expect(Array.isArray(events)).toBe(true);
  return events;
}

/** Within 1 ms of the sleeps the script measured (ts and dur are in microseconds). */
const nearUs = (us: number, ns: number) => Math.abs(us * 1000 - ns) < 1_000_000;

test('-- COMMAND: 3 slices of g in f as long as their sleeps, the worker thread on its own named track, gc, imports, audit instants', async () => {
  const file = path.join(tmp, 'timed.json');
  const cli = pytrace('record', '--exact', '-o', file, '--', PYTHON, TIMED);
  await cli.waitFor(ATTACHED, 'stderr');
  await cli.waitFor(/^ready$/m);
  cli.child.stdin!.write('go\n');
  expect((await cli.exited).code).toBe(0);
  const result = JSON.parse(/^result (.*)$/m.exec(cli.stdout)![1]) as {
    slept: { g: number[]; h: number[] };
    worker: number;
  };
  expect(cli.stderr).toMatch(/^pytrace: wrote \d+ trace events to .*timed\.json/m);

  const events = readTrace(file);
  const all = slices(events);
  const mine = all.filter((s) => s.args.file === TIMED);
  const g = mine.filter((s) => s.name === 'g');
  expect(g).toHaveLength(3);
  g.forEach((s, i) => {
    expect(s.parent?.name).toBe('f');
    expect(s.args.line).toBe(16);
    expect(nearUs(s.dur, result.slept.g[i])).toBe(true);
  });
  const h = mine.filter((s) => s.name === 'h');
  expect(h.map((s) => s.tid)).toEqual([result.worker, result.worker]);
  h.forEach((s, i) => expect(nearUs(s.dur, result.slept.h[i])).toBe(true));
  expect(mine.filter((s) => s.name === 'counter')).toHaveLength(4);
  expect(mine.find((s) => s.name === 'fails')!.parent!.name).toBe('catches');

  const pid = cli.child.pid!;
  const named = (tid: number) =>
    events.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.tid === tid)?.args?.name;
  const main = events.find(
    (e) => e.ph === 'M' && e.name === 'thread_name' && String(e.args?.name).startsWith('main thread'),
  )!;
  expect(main.args!.name).toBe('main thread (python3.11)');
  expect(named(result.worker)).toBe('python3.11');
  expect(main.pid).not.toBe(pid); // the Python, not the CLI

  // gc.collect() in main(): a slice of its own with its generation, inside main.
  const gcs = all.filter((s) => s.cat === 'gc');
  expect(gcs.some((s) => s.args.generation === 2 && s.parent?.name === 'main')).toBe(true);
  expect(all.filter((s) => s.cat === 'import' && s.name === 'import colorsys')).toHaveLength(1);
  const audits = events.filter((e) => e.ph === 'i');
  expect(audits.some((e) => e.name === 'import' && (e.args?.args as unknown[])[0] === 'colorsys')).toBe(true);
  for (const a of audits) expect(a.s).toBe('t');
});

test('--max-size: recording stops with a message, the file is valid and balanced, the command goes on', async () => {
  const file = path.join(tmp, 'capped.json');
  const cli = pytrace('record', '--exact', '--max-size', '64K', '-o', file, '--', PYTHON, TIMED);
  await cli.waitFor(/^ready$/m);
  cli.child.stdin!.write('go\n');
  expect((await cli.exited).code).toBe(0);
  expect(cli.stdout).toMatch(/^result /m);
  expect(cli.stderr).toMatch(/^pytrace: .*capped\.json reached --max-size \(64\.0 KiB\): recording stopped/m);
  const size = fs.statSync(file).size;
  expect(size).toBeLessThanOrEqual(64 * 1024);
  expect(size).toBeGreaterThan(48 * 1024);
  expect(slices(readTrace(file)).length).toBeGreaterThan(100);
});

test('--duration on a PID: stops after it, the target runs on', async () => {
  const file = path.join(tmp, 'timed-pid.json');
  const py = await target('busy.py', '30');
  const cli = pytrace('record', '--exact', '--duration', '0.5', '-o', file, String(py.pid));
  await cli.waitFor(ATTACHED, 'stderr');
  py.child.stdin!.write('go\n');
  const t0 = Date.now();
  expect((await cli.exited).code).toBe(0);
  expect(Date.now() - t0).toBeLessThan(10000);
  expect(cli.stderr).toMatch(/^pytrace: --duration of 0\.5 s reached: recording stopped$/m);
  expect(fs.existsSync(`/proc/${py.pid}`)).toBe(true);
  const hot = slices(readTrace(file)).filter((s) => s.name === 'hot');
  expect(hot.length).toBeGreaterThan(100);
  for (const s of hot) expect(s.parent?.name === 'warm' || s.parent === null).toBe(true);
});

test('bad usage: a bad size, no command', async () => {
  for (const args of [
    ['record', '--exact', '--max-size', 'lots', '123'],
    ['record', '--exact', '--'],
  ]) {
    const p = new Proc(process.execPath, [CLI, ...args]);
    expect((await p.exited).code).toBe(2);
  }
});
