/**
 * How events are printed: the call hierarchy as the HOWTO's DTrace script
 * (call_stack.d) and SystemTap script (show-call-hierarchy.stp, thread_indent)
 * print it, NDJSON, and a plain one-line-per-event layout.
 */
import * as path from 'path';
import { ExecEvent, FrameEvent, TraceEvent } from '../index';
import { reprArgs } from './audit-repr';
import { markerOf } from '../markers';
import { CallPairing } from '../stream/calls';
import { printable, shown, wasCut } from './escape';
import { formatDuration, Output } from './output';
import { eventJson, eventLineWith } from './ndjson';
import { EventStats, Pairing } from './pairing';
import { ThreadNames } from './threads';
import { flat } from './flat-string';

export type HierarchyFormat = 'dtrace' | 'stap' | 'json';
export const HIERARCHY_FORMATS: readonly HierarchyFormat[] = ['dtrace', 'stap', 'json'];

export interface Printer {
  print(ev: TraceEvent): void;
  /** A process exec'd: its threads start again at depth 0. */
  exec?(ev: ExecEvent): void;
}

/** Per thread: thread_indent's counter and time base (DTrace's self->indent is the calls open). */
interface ThreadState {
  counter: number;
  baseUs: bigint;
}

const duration = (p: Pairing | undefined) =>
  p?.durationNs == null ? 'duration unknown' : formatDuration(p.durationNs);

/** What follows the event name for events that are not calls. */
export function detail(ev: TraceEvent, p: Pairing | undefined): string {
  switch (ev.type) {
    case 'gc-start':
      return `generation ${ev.generation}`;
    case 'gc-done':
      return `generation ${p?.generation ?? '?'}, collected ${ev.collected}, ${duration(p)}`;
    case 'import-find-load-start':
      return shown(ev, 'module');
    case 'import-find-load-done':
      return `${shown(ev, 'module')} ${ev.found ? 'found' : 'not found'}, ${duration(p)}`;
    case 'audit':
      return ev.args ? `${shown(ev, 'event')}${reprArgs(ev.args, ev.argCount ?? ev.args.length)}` : shown(ev, 'event');
    default:
      return `${shown(ev, 'filename')}:${shown(ev, 'function')}:${ev.lineno}`;
  }
}

/** Adds what pairing tells to a done event, for NDJSON. */
export function withPairing(ev: TraceEvent, p: Pairing | undefined, extra: object = {}): object {
  return p ? { ...ev, ...extra, ...p } : { ...ev, ...extra };
}

/** `,"depth":N}` and the newline: how every NDJSON line of the hierarchy ends. */
const DEPTH_CLOSINGS: string[] = [];
function depthClosing(depth: number): string {
  if (depth >= 256) return `,"depth":${depth}}\n`;
  return (DEPTH_CLOSINGS[depth] ??= flat(`,"depth":${depth}}\n`));
}

/**
 * `\t`, the probe name right-aligned in 15 columns (as call_stack.d prints
 * it), `:` and the indent: one kept piece of the line per event type and depth.
 */
const MIDDLES = new Map<string, string[]>();
function middle(type: string, depth: number): string {
  if (depth >= 256) return `\t${type.padStart(15)}:${' '.repeat(depth)}`;
  let byDepth = MIDDLES.get(type);
  if (byDepth === undefined) MIDDLES.set(type, (byDepth = []));
  return (byDepth[depth] ??= flat(`\t${type.padStart(15)}:${' '.repeat(depth)}`));
}

export class HierarchyPrinter implements Printer {
  private threads = new Map<number, ThreadState>();
  /** Entries paired with returns: the depth of each line. */
  readonly calls = new CallPairing();
  private frameTexts = new Map<string, Map<string, Map<number, string>>>();
  private frameTextCount = 0;

  constructor(
    private format: HierarchyFormat,
    private out: Output,
    private stats: EventStats,
    private names: ThreadNames,
  ) {}

  private state(tid: number): ThreadState {
    let s = this.threads.get(tid);
    if (!s) this.threads.set(tid, (s = { counter: 0, baseUs: 0n }));
    return s;
  }

  exec(ev: ExecEvent): void {
    // The thread that exec'd goes on, as the process's main thread.
    for (const tid of [ev.tid, ev.pid]) this.threads.delete(tid);
    this.stats.forgetThreads([ev.tid, ev.pid]);
    this.calls.resetProcess(ev.pid);
  }

  print(ev: TraceEvent): void {
    const pairing = this.stats.observe(ev);
    // DTrace: entries print, then indent; returns dedent, then print. Unlike
    // DTrace the indent stops at 0 when a return's entry predates the trace.
    if (ev.type === 'function-return') this.calls.leave(ev);
    const depth = this.calls.depth(ev.tid);
    if (ev.type === 'function-entry') this.calls.enter(ev);

    if (this.format === 'json') {
      if (pairing) this.out.line(eventJson(ev, { depth, ...pairing }));
      else this.out.text(eventLineWith(ev, depthClosing(depth)));
    } else if (this.format === 'dtrace') this.out.text(this.dtrace(ev, depth, pairing));
    else {
      const s = this.state(ev.tid);
      this.out.line(this.stap(ev, s, pairing));
      // A thread back at depth 0 has no state worth keeping (threads come and go).
      if (s.counter === 0) this.threads.delete(ev.tid);
    }
  }

  /**
   * printf("%d\t%*s:", timestamp, 15, probename); printf("%*s", self->indent, ""); then the details.
   * The line with its newline, in three pieces for a call: timestamp, middle, frame.
   */
  private dtrace(ev: TraceEvent, depth: number, p: Pairing | undefined): string {
    const head = ev.ts.toString() + middle(ev.type, depth);
    if (ev.type === 'function-entry' || ev.type === 'function-return' || ev.type === 'line')
      return head + this.frameLine(ev);
    return head + detail(ev, p) + '\n';
  }

  /**
   * "file.py:func:line" and the newline, kept per frame: escaping and the
   * base name cost more than the rest of the line, and a program's frames
   * repeat. Events with names cut are not kept (the mark depends on the event).
   */
  private frameLine(ev: FrameEvent): string {
    const cacheable = (ev as { truncated?: unknown }).truncated === undefined;
    let byFunction = cacheable ? this.frameTexts.get(ev.filename) : undefined;
    let text = byFunction?.get(ev.function)?.get(ev.lineno);
    if (text !== undefined) return text;
    text = `${printable(path.posix.basename(ev.filename), wasCut(ev, 'filename'))}:${shown(ev, 'function')}:${ev.lineno}\n`;
    if (!cacheable) return text;
    text = flat(text);
    if (this.frameTextCount++ >= 1 << 16) {
      this.frameTexts.clear();
      this.frameTextCount = 0;
    }
    if (!byFunction) this.frameTexts.set(ev.filename, (byFunction = new Map()));
    let byLine = byFunction.get(ev.function);
    if (!byLine) byFunction.set(ev.function, (byLine = new Map()));
    byLine.set(ev.lineno, text);
    return text;
  }

  /**
   * thread_indent(delta): sprintf("%6d %s:%-*s", now_us - base, "execname(tid)", depth, ""),
   * the base reset whenever the thread's counter is 0; then " => func in file:line".
   */
  private stap(ev: TraceEvent, s: ThreadState, p: Pairing | undefined): string {
    const us = ev.ts / 1000n;
    if (s.counter === 0) s.baseUs = us;
    let spaces: number;
    if (ev.type === 'function-entry' || ev.type === 'function-return') {
      const delta = ev.type === 'function-entry' ? 1 : -1;
      const x = s.counter + (delta > 0 ? delta : 0);
      s.counter += delta;
      spaces = x > 0 ? x - 1 : 0;
    } else {
      // Other events sit where a call from the current frame would.
      spaces = Math.max(0, s.counter);
    }
    const head = `${String(us - s.baseUs).padStart(6)} ${printable(this.names.of(ev.pid, ev.tid))}(${ev.tid}):${' '.repeat(spaces)}`;
    switch (ev.type) {
      case 'function-entry':
        return `${head} => ${shown(ev, 'function')} in ${shown(ev, 'filename')}:${ev.lineno}`;
      case 'function-return':
        return `${head} <= ${shown(ev, 'function')} in ${shown(ev, 'filename')}:${ev.lineno}`;
      case 'line':
        return `${head} -- line ${shown(ev, 'function')} in ${shown(ev, 'filename')}:${ev.lineno}`;
      default:
        return `${head} -- ${markerOf(ev.type).marker} ${detail(ev, p)}`;
    }
  }
}

/**
 * One line per event: timestamp (ns), thread, and, when a command prints
 * several kinds of event, the event's name; then its details.
 */
export class PlainPrinter implements Printer {
  constructor(
    private out: Output,
    private stats: EventStats,
    private json: boolean,
    private labels: boolean,
  ) {}

  print(ev: TraceEvent): void {
    const pairing = this.stats.observe(ev);
    if (this.json) return this.out.line(eventJson(ev, pairing));
    const label = this.labels ? ev.type.padEnd(22) + ' ' : '';
    this.out.line(`${ev.ts} ${String(ev.tid).padStart(7)} ${label}${detail(ev, pairing)}`);
  }
}
