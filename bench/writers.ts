/**
 * Writing speed: each writer fed decoded events (as a Trace emits them:
 * entries and returns of nested calls, returns with their durations) on one
 * JS thread, writing to a file; events per second from the first event to
 * the file closed, and the heap after, to show memory stays bounded.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FrameEvent, TraceEvent } from '../lib/markers';
import { CallPairing } from '../lib/stream/calls';
import { TraceEventWriter } from '../lib/export/trace-event-json';
import { ExactProfiler } from '../lib/profile/exact';
import { collapsedChunks } from '../lib/profile/collapsed';
import { HierarchyPrinter } from '../lib/cli/printers';
import { EventStats } from '../lib/cli/pairing';
import { Output } from '../lib/cli/output';
import { ThreadNames } from '../lib/cli/threads';
import { FileBehind } from '../lib/cli/file-behind';

export type WriterKey = 'text' | 'ndjson' | 'file-system' | 'trace-event' | 'exact-profile' | 'collapsed';

export interface WriterResult {
  key: WriterKey;
  events: number;
  seconds: number;
  perSecond: number;
  /** Events per second of this process's CPU time (user and system, every thread): the rate on cores of its own, on a shared machine. */
  perCpuSecond: number;
  /**
   * Events per second of the JS thread's CPU time: what the thread making
   * the text does on a core of its own (text files are written behind it,
   * by a writer thread).
   */
  perJsCpuSecond: number;
  bytes: number;
  heapMiB: number;
}

/** The synthetic source's frames: names of the lengths real applications have. */
const FRAMES = [
  ['/usr/lib/python3.11/json/decoder.py', 'raw_decode', 353],
  ['/usr/lib/python3.11/json/encoder.py', 'iterencode', 205],
  ['/usr/lib/python3.11/re/_parser.py', '_parse', 512],
  ['/usr/lib/python3.11/collections/__init__.py', '__init__', 1090],
  ['/srv/app/handlers/orders.py', 'validate_order', 88],
  ['/usr/lib/python3.11/typing.py', 'inner', 352],
  ['/usr/lib/python3.11/enum.py', '__call__', 695],
  ['/srv/app/models.py', 'get', 41],
] as const;

/**
 * One block of events, reused: a call tree 4 deep whose leaves are the
 * frames in turn, 2 threads, 250 ns apart, returns timed by the Trace's own
 * pairing. Every call it opens it closes (the depth of repeated blocks would
 * otherwise grow, and the text writer's lines with it).
 */
function block(pid: number, size: number): FrameEvent[] {
  const events: FrameEvent[] = [];
  const pairing = new CallPairing();
  let ts = 1_000_000_000_000n;
  const depth = [0, 0];
  for (let i = 0; events.length < size || depth[0] + depth[1] > 0; i++) {
    const thread = i % 2;
    const tid = pid + thread;
    const open = depth[thread];
    // Past `size`, only returns: the block ends with no call open, so repeating it keeps the depth a real trace has.
    const entering = events.length < size && open < 4 && (open === 0 || (i >> 1) % 3 !== 0);
    if (!entering && open === 0) continue;
    const [filename, fn, lineno] = FRAMES[(i >> 1) % FRAMES.length];
    const ev: FrameEvent = {
      type: entering ? 'function-entry' : 'function-return',
      pid,
      tid,
      ts: (ts += 250n),
      filename,
      function: fn,
      lineno,
    };
    if (!entering) {
      const top = pairing.current(tid)!;
      Object.assign(ev, { filename: top.entry.filename, function: top.entry.function, lineno: top.entry.lineno });
      const call = pairing.leave(ev);
      ev.durationNs = call ? call.durationNs : null;
      ev.selfNs = call ? call.selfNs : null;
    } else pairing.enter(ev);
    depth[thread] += entering ? 1 : -1;
    events.push(ev);
  }
  return events;
}

/** Events per batch: about what a Trace's 256 KiB batches of records hold. */
const BATCH = 4096;

/** The JS thread's time on a CPU, in ns (the scheduler's count: the first field of its schedstat). */
function jsThreadCpuNs(): number {
  return Number(fs.readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]);
}

interface Sink {
  write(ev: TraceEvent): void;
  /** Done when the file is complete (written behind, for some writers). */
  close(): void | Promise<void>;
}

/** NDJSON's bytes per event on this block, as its writer makes them: what the file-system row writes ready-made. */
let ndjsonBytesPerEvent = 178;

function sink(key: WriterKey, file: string, pid: number): Sink | null {
  const names = new ThreadNames('python3.11');
  switch (key) {
    case 'file-system': {
      // The file system's share of the NDJSON row: as many bytes, ready-made, written the same way (behind, in
      // chunks of 64 Ki characters). No writer beats it; where page-cache memory is cold it comes close to a bound.
      const fd = fs.openSync(file, 'w');
      const behind = new FileBehind(fd);
      const chunk = 'x'.repeat(1 << 16);
      let owed = 0;
      return {
        write: () => {
          if ((owed += ndjsonBytesPerEvent) >= chunk.length) {
            behind.write(chunk);
            owed -= chunk.length;
          }
        },
        close: async () => {
          await behind.done();
          fs.closeSync(fd);
        },
      };
    }
    case 'text':
    case 'ndjson': {
      const out = new Output({ file });
      const p = new HierarchyPrinter(key === 'text' ? 'dtrace' : 'json', out, new EventStats(), names);
      return { write: (ev) => p.print(ev), close: () => out.drained() };
    }
    case 'trace-event': {
      // With a cap, as record --exact always has one: counting bytes is part of the cost.
      const w = new TraceEventWriter(file, {
        maxBytes: 2 ** 40,
        threadName: (_p, tid) => (tid === pid ? 'main thread (python3.11)' : 'python3.11'),
      });
      return { write: (ev) => w.write(ev), close: () => w.close() };
    }
    case 'exact-profile': {
      const x = new ExactProfiler();
      return { write: (ev) => x.observe(ev), close: () => fs.writeFileSync(file, String(x.profile.total())) };
    }
    case 'collapsed': {
      // record --exact -o x.collapsed: self time per stack from the events, then the stacks written.
      const x = new ExactProfiler();
      return {
        write: (ev) => x.observe(ev),
        close: () => {
          const fd = fs.openSync(file, 'w');
          for (const piece of collapsedChunks(x.profile)) fs.writeSync(fd, piece);
          fs.closeSync(fd);
        },
      };
    }
  }
}

export async function measureWriter(key: WriterKey, events: number): Promise<WriterResult | null> {
  const pid = 4_000_000; // no such process: thread names fall back without reading /proc each time
  const file = path.join(os.tmpdir(), `pytrace-bench-${process.pid}-${key}`);
  const s = sink(key, file, pid);
  if (!s) return null;
  const base = block(pid, 1 << 16);
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const js0 = jsThreadCpuNs();
  // The block again and again, as is: copying events to move their timestamps would cost more than some writers.
  // In batches, as a Trace delivers them (one callback per batch of records): between them the event loop runs.
  for (let done = 0; done < events;) {
    const end = Math.min(events, done + BATCH);
    for (; done < end; done++) s.write(base[done % base.length]);
    await new Promise(setImmediate);
  }
  await s.close();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const jsNs = jsThreadCpuNs() - js0;
  const bytes = fs.statSync(file).size;
  if (key === 'ndjson') ndjsonBytesPerEvent = bytes / events;
  fs.rmSync(file, { force: true });
  return {
    key,
    events,
    seconds,
    perSecond: events / seconds,
    perCpuSecond: events / ((cpu.user + cpu.system) / 1e6),
    perJsCpuSecond: events / (jsNs / 1e9),
    bytes,
    heapMiB: process.memoryUsage().heapUsed / (1 << 20),
  };
}
