/** Writing what the commands print: buffered stdout lines, NDJSON, durations. */
import * as fs from 'fs';
import * as tty from 'tty';
import { CliError } from './args';
import { jsonSafe, printable } from './escape';

/** Writes of at most this many bytes to a pipe are never interleaved with other writers'. */
const PIPE_BUF = 4096;

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes all of `data` to `fd`, blocking. The CLI never opens process.stdout
 * or process.stderr: Node would make them non-blocking, and the command `run`
 * starts shares them, and would then fail its own writes (EAGAIN).
 * Returns false when the reader has gone (EPIPE).
 */
export function writeAll(fd: number, data: string | Buffer): boolean {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  for (let at = 0; at < bytes.length;) {
    try {
      at += fs.writeSync(fd, bytes, at);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') return false;
      if (code !== 'EAGAIN') throw e;
      Atomics.wait(pause, 0, 0, 1); // someone else made it non-blocking: wait for room
    }
  }
  return true;
}

/** Where writeFileText() encodes, kept: a new one per write cost page faults (measured). */
let scratch = Buffer.alloc(0);
const SCRATCH_MAX = 4 << 20;

/**
 * Writes `text` to a regular file: encoded into a kept buffer, which gives
 * the byte count with it (a string handed to writeSync is encoded into fresh
 * memory, and counting its bytes took another pass: 15% slower, measured).
 */
export function writeFileText(fd: number, text: string): void {
  const room = text.length * 3; // UTF-8 of any UTF-16 string fits
  if (room > SCRATCH_MAX) return void writeAll(fd, Buffer.from(text));
  if (scratch.length < room) scratch = Buffer.allocUnsafe(Math.max(room, 1 << 18));
  const n = scratch.write(text, 0, 'utf8');
  writeAll(fd, scratch.subarray(0, n));
}

export interface OutputOptions {
  /** Write to this file instead of stdout. */
  file?: string;
  /**
   * Another process writes to the same stdout (the command of `run`): keep
   * each write within PIPE_BUF and cut at line ends, so no line of ours is
   * split by its output.
   */
  wholeLines?: boolean;
}

/**
 * Lines to stdout (or a file), written in chunks: events arrive in batches of
 * thousands, and one write per line would cost more than decoding them.
 */
export class Output {
  /** Concatenated rather than joined from an array: 1.7x faster on 1 M lines (measured). */
  private pending = '';
  private scheduled = false;
  private closedReader = false;
  private onClosed: (() => void)[] = [];
  private fd = 1;

  constructor(private options: OutputOptions = {}) {
    if (options.file === undefined) return;
    try {
      this.fd = fs.openSync(options.file, 'w');
    } catch (e) {
      throw new CliError(`cannot write ${options.file}: ${(e as Error).message}`);
    }
  }

  get isTTY(): boolean {
    return tty.isatty(this.fd);
  }

  /** True once the reader closed the pipe: nothing more will be written. */
  get closed(): boolean {
    return this.closedReader;
  }

  onReaderClosed(f: () => void): void {
    if (this.closedReader) f();
    else this.onClosed.push(f);
  }

  line(s: string): void {
    if (this.closedReader) return;
    this.pending += s + '\n';
    if (this.pending.length >= 1 << 16) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  json(value: unknown): void {
    this.line(toJson(value));
  }

  /** Raw text, flushed at once (screen refreshes). */
  write(s: string): void {
    this.flush();
    this.emit(Buffer.from(s));
  }

  flush(): void {
    this.scheduled = false;
    if (!this.pending.length) return;
    if (this.options.file !== undefined && !this.closedReader) {
      const text = this.pending;
      this.pending = '';
      return writeFileText(this.fd, text);
    }
    const bytes = Buffer.from(this.pending);
    this.pending = '';
    if (!this.options.wholeLines || this.options.file !== undefined) return this.emit(bytes);
    for (let at = 0; at < bytes.length;) {
      let end = at + PIPE_BUF >= bytes.length ? bytes.length : bytes.lastIndexOf(0x0a, at + PIPE_BUF - 1) + 1;
      if (end <= at) end = bytes.indexOf(0x0a, at) + 1 || bytes.length; // one line longer than PIPE_BUF
      this.emit(bytes.subarray(at, end));
      at = end;
    }
  }

  private emit(bytes: Buffer): void {
    if (this.closedReader || writeAll(this.fd, bytes)) return;
    // The reader went away (| head): stop quietly, like other filters do.
    this.closedReader = true;
    this.pending = '';
    const listeners = this.onClosed.splice(0);
    setImmediate(() => listeners.forEach((f) => f()));
  }

  /** Writes what is pending; closes a file. */
  async drained(): Promise<void> {
    this.flush();
    if (this.options.file !== undefined && !this.closedReader) {
      fs.closeSync(this.fd);
      this.closedReader = true;
    }
  }
}

/**
 * Bigints (and strings that start with a NUL, the mark's first character)
 * travel through JSON.stringify as marked strings; then the marks of value
 * tokens (an opening quote follows "[", "{", ",", ":" or nothing; an escaped
 * quote follows a backslash; a key is followed by ":") are undone.
 */
const MARKED = /(?<=^|[[{,:])"\\u0000([ns])((?:[^"\\]|\\.)*)"(?!:)/g;

/** JSON with bigints written as exact numbers (timestamps in ns exceed 2^53 on long uptimes); every string exact. */
export function toJson(value: unknown): string {
  const text = JSON.stringify(value, (_k, v) =>
    typeof v === 'bigint' ? `\u0000n${v}` : typeof v === 'string' && v.startsWith('\u0000') ? `\u0000s${v}` : v,
  );
  return jsonSafe(text.replace(MARKED, (_m, kind: string, body: string) => (kind === 'n' ? body : `"${body}"`)));
}

/** "465.8 us", "12.345 ms": a duration in a unit that suits it. */
export function formatDuration(ns: bigint | number): string {
  const n = Number(ns);
  if (n < 1e3) return `${n} ns`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} us`;
  if (n < 1e9) return `${(n / 1e6).toFixed(3)} ms`;
  return `${(n / 1e9).toFixed(3)} s`;
}

export function hex(v: bigint | number | null | undefined, width = 16): string {
  if (v === null || v === undefined) return '-';
  const n = BigInt(v);
  return (n < 0n ? '-0x' : '0x') + (n < 0n ? -n : n).toString(16).padStart(width, '0');
}

/** Diagnostics go to stderr, prefixed like every pytrace message, one line each (they quote names and paths). */
export function note(message: string): void {
  writeAll(2, `pytrace: ${printable(message)}\n`);
}

export function printHelp(text: string): number {
  writeAll(1, text + '\n');
  return 0;
}
