/**
 * A timeline in the Trace Event format (JSON array form), which Perfetto
 * (ui.perfetto.dev) and chrome://tracing open: one track per thread, named;
 * every call a slice (B/E, with file and line), gc collections and imports
 * slices of their own, audit events instants. Streamed to a file in chunks,
 * so memory stays bounded. Each thread's slices are kept balanced and nested
 * here: a return, gc-done or import-done whose start came before the trace
 * gives no E, and whatever is open when the trace ends, or the size cap is
 * reached, is closed at the thread's last timestamp. A file cut short by a
 * crash lacks only the closing "]", which both viewers accept.
 */
import * as fs from 'fs';
import type { TraceEvent } from '../markers';
import { flat } from '../cli/flat-string';

export interface TraceEventWriterOptions {
  /** Stop taking events when the file would pass this size (bytes); `onFull` is called once. */
  maxBytes?: number;
  onFull?: () => void;
  /** A write failed (a full disk, an I/O error): the writer takes nothing more; `failed` holds the error. */
  onFailed?: (error: Error) => void;
  /** A thread's name for its track (Perfetto shows the tid beside it). */
  threadName?: (pid: number, tid: number) => string;
  processName?: (pid: number) => string;
}

interface OpenSlice {
  kind: 'call' | 'gc' | 'import';
  /** What the end must match: the function and file, or the module. */
  name: string;
  file?: string;
}

interface Head {
  text: string;
  /** UTF-8 bytes beyond one per UTF-16 unit (names outside ASCII). */
  extra: number;
}

interface ThreadTrack {
  pid: number;
  open: OpenSlice[];
  lastUs: string;
}

/** Written in pieces of about this many characters: larger ones were slower (cache), measured. */
const CHUNK = 1 << 16;
/** Room kept for each E event that closes what is open when the cap is reached (the longest: a gc-done's). */
const CLOSING_BYTES = 112;
const END = '\n]\n';

export class TraceEventWriter {
  private fd: number;
  private pending = '';
  /** pending's size in bytes, counted when there is a cap. */
  private pendingBytes = 0;
  private written = 0;
  private first = true;
  private full = false;
  private closed = false;
  private openSlices = 0;
  private base: bigint | null = null;
  private threads = new Map<number, ThreadTrack>();
  private processes = new Set<number>();
  /** Per file, function and line: the JSON of a call's B event up to its pid, and its bytes beyond one a character. */
  private beginHeads = new Map<string, Map<string, Map<number, Head>>>();
  private headCount = 0;
  private scratch = Buffer.alloc(0);
  private failure: Error | null = null;
  /** Events written, metadata included. */
  events = 0;

  constructor(
    file: string,
    private options: TraceEventWriterOptions = {},
  ) {
    this.fd = fs.openSync(file, 'w');
    this.pending = '[\n';
    this.pendingBytes = 2;
  }

  /** True once the size cap stopped the writer. */
  get isFull(): boolean {
    return this.full && !this.failure;
  }

  /** The write that failed, if one did: the file then ends before it (not a valid JSON array). */
  get failed(): Error | null {
    return this.failure;
  }

  get bytes(): number {
    return this.written + (this.options.maxBytes === undefined ? Buffer.byteLength(this.pending) : this.pendingBytes);
  }

  write(ev: TraceEvent): void {
    if (this.full || this.closed) return;
    const t = this.track(ev.pid, ev.tid);
    if (this.full) return;
    if (this.base === null) this.base = ev.ts;
    const us = micros(ev.ts - this.base);
    t.lastUs = us;
    switch (ev.type) {
      case 'function-entry': {
        const head = this.callHead(ev.function, ev.filename, ev.lineno);
        this.begin(t, { kind: 'call', name: ev.function, file: ev.filename }, head.text, ev.tid, us, head.extra);
        break;
      }
      case 'function-return':
        this.end(t, 'call', ev.function, ev.filename, ev.tid, us);
        break;
      case 'gc-start':
        this.begin(
          t,
          { kind: 'gc', name: 'gc' },
          `{"ph":"B","cat":"gc","name":"gc","args":{"generation":${ev.generation}}`,
          ev.tid,
          us,
        );
        break;
      case 'gc-done':
        this.end(t, 'gc', 'gc', undefined, ev.tid, us, `,"args":{"collected":${ev.collected}}`);
        break;
      case 'import-find-load-start':
        this.begin(
          t,
          { kind: 'import', name: ev.module },
          `{"ph":"B","cat":"import","name":${JSON.stringify('import ' + ev.module)},"args":{"module":${JSON.stringify(ev.module)}}`,
          ev.tid,
          us,
        );
        break;
      case 'import-find-load-done':
        this.end(t, 'import', ev.module, undefined, ev.tid, us, `,"args":{"found":${ev.found}}`);
        break;
      case 'audit': {
        const args = ev.args ? `,"args":{"args":${auditArgsJson(ev.args)}}` : '';
        this.emit(
          `{"ph":"i","s":"t","cat":"audit","name":${JSON.stringify(ev.event)}${args},"pid":${ev.pid},"tid":${ev.tid},"ts":${us}}`,
        );
        break;
      }
      default:
        return; // lines: not slices
    }
  }

  /** Closes what is open and the array; the file is then complete. */
  close(): void {
    if (this.closed) return;
    this.closed = true; // first: a failure while closing calls back into the owner, which may close again
    for (const [tid, t] of this.threads) while (t.open.length) this.closeTop(t, tid, t.lastUs);
    this.pending += END;
    this.flush();
    fs.closeSync(this.fd);
  }

  private track(pid: number, tid: number): ThreadTrack {
    let t = this.threads.get(tid);
    if (t && t.pid === pid) return t;
    if (!this.processes.has(pid)) {
      this.processes.add(pid);
      const name = this.options.processName?.(pid) ?? `PID ${pid}`;
      this.emit(`{"ph":"M","name":"process_name","pid":${pid},"tid":${pid},"args":{"name":${JSON.stringify(name)}}}`);
    }
    const name = this.options.threadName?.(pid, tid) ?? (tid === pid ? 'main thread' : `thread ${tid}`);
    this.emit(`{"ph":"M","name":"thread_name","pid":${pid},"tid":${tid},"args":{"name":${JSON.stringify(name)}}}`);
    // The main thread's track first.
    this.emit(
      `{"ph":"M","name":"thread_sort_index","pid":${pid},"tid":${tid},"args":{"sort_index":${tid === pid ? 0 : 1}}}`,
    );
    this.threads.set(tid, (t = { pid, open: [], lastUs: '0' }));
    return t;
  }

  private callHead(fn: string, file: string, line: number): Head {
    let byFunction = this.beginHeads.get(file);
    let head = byFunction?.get(fn)?.get(line);
    if (head !== undefined) return head;
    const text = flat(
      `{"ph":"B","cat":"call","name":${JSON.stringify(fn)},"args":{"file":${JSON.stringify(file)},"line":${line}}`,
    );
    head = { text, extra: Buffer.byteLength(text) - text.length };
    if (this.headCount++ >= 1 << 16) {
      this.beginHeads.clear();
      this.headCount = 0;
      byFunction = undefined;
    }
    if (!byFunction) this.beginHeads.set(file, (byFunction = new Map()));
    let byLine = byFunction.get(fn);
    if (!byLine) byFunction.set(fn, (byLine = new Map()));
    byLine.set(line, head);
    return head;
  }

  private begin(t: ThreadTrack, slice: OpenSlice, head: string, tid: number, us: string, extra?: number): void {
    if (!this.emit(`${head},"pid":${t.pid},"tid":${tid},"ts":${us}}`, true, false, extra)) return;
    t.open.push(slice);
    this.openSlices++;
  }

  /** Ends the innermost open slice matching; those inside it never got their end (lost events): ended with it. */
  private end(
    t: ThreadTrack,
    kind: OpenSlice['kind'],
    name: string,
    file: string | undefined,
    tid: number,
    us: string,
    args = '',
  ): void {
    let i = t.open.length - 1;
    while (i >= 0 && !(t.open[i].kind === kind && t.open[i].name === name && t.open[i].file === file)) i--;
    if (i < 0) return; // began before the trace
    while (t.open.length - 1 > i) this.closeTop(t, tid, us);
    this.closeTop(t, tid, us, args);
  }

  private closeTop(t: ThreadTrack, tid: number, us: string, args = ''): void {
    t.open.pop();
    this.openSlices--;
    this.emit(`{"ph":"E","pid":${t.pid},"tid":${tid},"ts":${us}${args}}`, false, true, 0);
  }

  /**
   * Appends one event; under a cap, only if it fits with room left for the
   * ends of every slice open (and of the one it opens) and the closing "]":
   * else the writer is full and takes nothing more but those ends. `extra`:
   * the bytes beyond one per character when known (ASCII but for cached
   * names), else counted here.
   */
  private emit(json: string, opens = false, closes = false, extra?: number): boolean {
    if (this.full && !closes) return false;
    const piece = this.first ? json : ',\n' + json;
    const max = this.options.maxBytes;
    if (max !== undefined) {
      const bytes = extra === undefined ? Buffer.byteLength(piece) : piece.length + extra;
      const reserved = closes ? 0 : (this.openSlices + (opens ? 1 : 0)) * CLOSING_BYTES + END.length;
      if (!closes && this.written + this.pendingBytes + bytes + reserved > max) {
        this.full = true;
        this.options.onFull?.();
        return false;
      }
      this.pendingBytes += bytes;
    }
    this.pending += piece;
    this.first = false;
    this.events++;
    if (this.pending.length >= CHUNK) this.flush();
    return true;
  }

  private flush(): void {
    if (!this.pending.length) return;
    // Encoded into a kept buffer, which counts the bytes too (a string to writeSync is encoded into new memory).
    const text = this.pending;
    this.pending = '';
    this.pendingBytes = 0;
    if (this.failure) return;
    if (this.scratch.length < text.length * 3) this.scratch = Buffer.allocUnsafe(text.length * 3);
    const total = this.scratch.write(text, 0, 'utf8');
    try {
      for (let at = 0; at < total;) at += fs.writeSync(this.fd, this.scratch, at, total - at);
    } catch (e) {
      // Thrown from here it would reach the trace's event listener; kept, and said once.
      this.failure = e as Error;
      this.full = true;
      this.options.onFailed?.(this.failure);
      return;
    }
    this.written += total;
  }
}

/** Nanoseconds as microseconds with three decimals (the format's unit), exact. */
function micros(ns: bigint): string {
  const n = Number(ns);
  const us = Math.floor(n / 1000);
  const frac = n - us * 1000;
  return frac === 0 ? String(us) : `${us}.${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}`;
}

/**
 * Audit arguments as JSON, as the library gives them (objects for what is
 * not a plain value), with bigints as strings (JSON numbers would round
 * them), bytes as Python writes them, and unread items as null.
 */
function auditArgsJson(args: readonly unknown[]): string {
  const items = args.map((a) => (a === undefined ? null : Buffer.isBuffer(a) ? `b'${a.toString('latin1')}'` : a));
  return JSON.stringify(items, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}
