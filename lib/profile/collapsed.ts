/**
 * Collapsed stacks, the folded format flamegraph.pl, inferno and speedscope
 * read: one line per distinct stack, frames outermost first, `;` between
 * them, then a space and the stack's value. Frames are written as py-spy
 * writes them (`function (file:line)`, `function (file)` when the line is not
 * known, and with a thread prefix `thread (TID): name`), so what reads py-spy's
 * raw output reads this.
 *
 * Names come from the traced program. So that none can forge a frame or a
 * line, every name goes through printable() (line breaks, controls, escape
 * sequences, bidirectional marks and `\` become visible escapes such as `\n`
 * and `\x1b`) and then `;` becomes `\x3b`; in function and thread names a
 * space becomes `\x20` too, so the first ` (` of a frame always ends its
 * function. File names keep their spaces: the value is after the last space
 * of the line, so a space cannot forge it.
 */
import { printable } from '../cli/escape';
import { StackFrame, StackProfile, StackThread } from './stacks';

export interface CollapsedOptions {
  /** Start each stack with a frame naming its thread (py-spy's --threads). */
  threads?: boolean;
}

/** Writes go out in pieces of about this many bytes. */
const CHUNK_BYTES = 1 << 20;

function escapeName(s: string, spaces: boolean): string {
  const safe = printable(s);
  if (!safe.includes(';') && !(spaces && safe.includes(' '))) return safe;
  const semis = safe.replace(/;/g, '\\x3b');
  return spaces ? semis.replace(/ /g, '\\x20') : semis;
}

/** One frame as a collapsed line shows it. */
export function collapsedFrame(f: StackFrame): string {
  const where = f.lineno > 0 ? `${escapeName(f.filename, false)}:${f.lineno}` : escapeName(f.filename, false);
  return `${escapeName(f.function, true)} (${where})`;
}

/** The thread's frame of --threads, as py-spy writes it. */
export function collapsedThread(t: StackThread): string {
  return t.name === undefined ? `thread (${t.tid})` : `thread (${t.tid}): ${escapeName(t.name, true)}`;
}

/**
 * The collapsed text of `profile`, in pieces of bytes. Each frame is
 * formatted and encoded once, into a table ahead of the output area of one
 * buffer, so a line is put together by copyWithin() without a string or an
 * allocation: 2.25x the rate of building the lines as strings and encoding
 * them (to a file, the benchmark's profile). What is held besides the
 * profile is the table and one piece.
 */
export function* collapsedChunks(profile: StackProfile, options: CollapsedOptions = {}): Generator<Buffer> {
  const encoded = profile.frames().map((f) => Buffer.from(';' + collapsedFrame(f)));
  const start = new Int32Array(encoded.length + 1);
  for (let i = 0; i < encoded.length; i++) start[i + 1] = start[i] + encoded[i].length;
  const table = start[encoded.length];
  let buf = new Uint8Array(table + CHUNK_BYTES);
  for (let i = 0; i < encoded.length; i++) buf.set(encoded[i], start[i]);
  let pos = table;
  // An empty stack (no frame seen) still counts: flamegraph.pl needs a name.
  const unknown = Buffer.from(';unknown');
  for (const t of profile.threadsById()) {
    // The line's first frame is written without its ';', unless the thread's frame comes first.
    const prefix = options.threads ? Buffer.from(collapsedThread(t.thread)) : Buffer.alloc(0);
    const skip = options.threads ? 0 : 1;
    for (const s of t.stacks) {
      if (s.value <= 0) continue;
      const ids = s.ids;
      const tail = ` ${s.value}\n`;
      let length = prefix.length + tail.length + (ids.length ? -skip : unknown.length - skip);
      for (let i = 0; i < ids.length; i++) length += start[ids[i] + 1] - start[ids[i]];
      if (pos + length > buf.length) {
        if (pos > table) yield Buffer.from(buf.subarray(table, pos));
        pos = table;
        // A line longer than the output area (deep stacks, very long names): the area grows.
        if (table + length > buf.length) {
          const bigger = new Uint8Array(table + length + CHUNK_BYTES);
          bigger.set(buf.subarray(0, table));
          buf = bigger;
        }
      }
      buf.set(prefix, pos);
      pos += prefix.length;
      if (!ids.length) {
        buf.set(unknown.subarray(skip), pos);
        pos += unknown.length - skip;
      }
      for (let i = 0; i < ids.length; i++) {
        const from = start[ids[i]] + (i === 0 ? skip : 0);
        const to = start[ids[i] + 1];
        buf.copyWithin(pos, from, to);
        pos += to - from;
      }
      // The value is ASCII.
      for (let k = 0; k < tail.length; k++) buf[pos++] = tail.charCodeAt(k);
    }
  }
  if (pos > table) yield Buffer.from(buf.subarray(table, pos));
}
