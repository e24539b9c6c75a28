/**
 * The library's timeline and exact profile over a live trace:
 * writeTimeline() streams it to a Trace Event file and exactProfile() folds
 * it into self time per stack, both against what the script measured (f
 * calls g 3 times, each sleeping 10 ms; a worker thread runs h twice).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { attach, exactProfile, PytraceError, writeTimeline } from '../../lib/index';
import { killStarted, startPython, tempDir } from '../helpers/python';

afterEach(killStarted);

interface Slice {
  name: string;
  tid: number;
  ts: number;
  dur: number;
  parent?: string;
  file?: unknown;
}

/** B/E paired per thread (they must balance), E after B. */
function slices(events: { ph: string; name?: string; tid: number; ts?: number; args?: { file?: unknown } }[]): Slice[] {
  const open = new Map<number, Slice[]>();
  const out: Slice[] = [];
  for (const e of events) {
    const stack = open.get(e.tid) ?? [];
    open.set(e.tid, stack);
    if (e.ph === 'B')
      stack.push({ name: e.name!, tid: e.tid, ts: e.ts!, dur: -1, parent: stack.at(-1)?.name, file: e.args?.file });
    else if (e.ph === 'E') {
      const s = stack.pop()!;
      s.dur = e.ts! - s.ts;
      expect(s.dur).toBeGreaterThanOrEqual(0);
      out.push(s);
    }
  }
  for (const stack of open.values()) expect(stack).toHaveLength(0);
  return out;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

test('writeTimeline and exactProfile: 3 slices of g in f as long as the sleeps; self time of f without g', async () => {
  const dir = tempDir('pytrace-timeline-');
  try {
    const py = await startPython('timed_calls.py');
    const trace = await attach(py.pid);
    const file = path.join(dir.dir, 'timeline.json');
    const written = writeTimeline(trace, file, { threadName: (_p, tid) => `t${tid}` });
    const folded = exactProfile(trace);
    py.go();
    const result = await py.result<{ slept: { g: number[]; h: number[] }; worker: number }>();
    const [done, profile] = await Promise.all([written, folded]);
    expect(done.full).toBe(false);
    expect(fs.statSync(file).size).toBe(done.bytes);

    const events = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(events).toHaveLength(done.events);
    const mine = slices(events).filter((s) => s.file === py.script);
    const g = mine.filter((s) => s.name === 'g');
    expect(g.map((s) => s.parent)).toEqual(['f', 'f', 'f']);
    // Within 1 ms of each sleep (ts and dur in microseconds, the sleeps in nanoseconds).
    g.forEach((s, i) => expect(Math.abs(s.dur * 1000 - result.slept.g[i])).toBeLessThan(1e6));
    expect(mine.filter((s) => s.name === 'h').map((s) => s.tid)).toEqual([result.worker, result.worker]);

    const self = (suffix: string) =>
      sum(
        profile
          .threads()
          .flatMap((t) => t.stacks)
          .filter(
            (s) =>
              s.frames
                .map((f) => f.function)
                .join(';')
                .endsWith(suffix) && s.frames.at(-1)!.filename === py.script,
          )
          .map((s) => s.value),
      );
    expect(Math.abs(self('main;f;g') - sum(result.slept.g))).toBeLessThan(3e6);
    expect(self('main;f')).toBeGreaterThan(0);
    expect(self('main;f')).toBeLessThan(1e6); // a loop of three calls: g's sleeps are not in it
    expect(Math.abs(self('worker;h') - sum(result.slept.h))).toBeLessThan(2e6);
    await expect(writeTimeline(trace, file)).rejects.toThrow(PytraceError);
  } finally {
    dir.remove();
  }
});

test('writeTimeline on a full disk: rejects with PYTRACE_WRITE_FAILED at once; the trace goes on', async () => {
  const dir = tempDir('pytrace-timeline-full-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir.dir]);
  try {
    // 20,000 calls of work(): some 4 MB of slices, far past the 64 KiB the disk holds.
    const py = await startPython('many_returns.py', ['20000']);
    const trace = await attach(py.pid, { events: ['function-entry', 'function-return'] });
    const file = path.join(dir.dir, 'timeline.json');
    let works = 0;
    trace.on('event', (ev) => {
      if (ev.type === 'function-entry' && ev.function === 'work') works++;
    });
    const written = writeTimeline(trace, file);
    py.go();
    const err = (await written.catch((e: unknown) => e)) as PytraceError;
    expect(err).toBeInstanceOf(PytraceError);
    expect(err.code).toBe('PYTRACE_WRITE_FAILED');
    expect(err.message).toContain(`Cannot write the timeline to ${file}: ENOSPC: no space left on device`);
    // The trace itself goes on: every call still reaches its other listeners.
    expect(trace.closed).toBe(false);
    await py.line((l) => l === 'done');
    py.endInput();
    await new Promise<void>((resolve) => trace.once('close', () => resolve()));
    expect(works).toBe(20000);
    expect(fs.statSync(file).size).toBeLessThanOrEqual(64 << 10);
  } finally {
    execFileSync('umount', [dir.dir]);
    dir.remove();
  }
});
