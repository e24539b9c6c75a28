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

/** Writes go out in pieces of about this many characters. */
const CHUNK_CHARS = 1 << 16;

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
 * The collapsed text of `profile`, in pieces: each frame is formatted once;
 * what is held besides the profile is one piece.
 */
export function* collapsedChunks(profile: StackProfile, options: CollapsedOptions = {}): Generator<string> {
  const frames = profile.frames().map(collapsedFrame);
  let out = '';
  for (const t of profile.threadsById()) {
    const prefix = options.threads ? collapsedThread(t.thread) : undefined;
    for (const s of t.stacks) {
      if (s.value <= 0) continue;
      let line = prefix ?? '';
      for (let i = 0; i < s.ids.length; i++) line += (i > 0 || prefix !== undefined ? ';' : '') + frames[s.ids[i]];
      // An empty stack (no frame seen) still counts: flamegraph.pl needs a name.
      if (line === '') line = 'unknown';
      out += `${line} ${s.value}\n`;
      if (out.length >= CHUNK_CHARS) {
        yield out;
        out = '';
      }
    }
  }
  if (out) yield out;
}
