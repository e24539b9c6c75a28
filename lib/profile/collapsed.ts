/**
 * The collapsed-stack format (Brendan Gregg's flamegraph.pl, speedscope,
 * inferno): one line per distinct stack, frames outermost first separated by
 * ";", then a space and the stack's value. A frame is "function (file:line)".
 * Names are the target's to choose: their unprintable characters are escaped
 * (lib/cli/escape.ts), and ";" (the separator) as \x3b, so one stack stays one line.
 */
import { printable } from '../cli/escape';
import { StackFrame, StackProfile } from './stacks';

function frameText(f: StackFrame): string {
  const text = `${f.function} (${f.filename}:${f.lineno})`;
  return printable(text).replace(/;/g, '\\x3b');
}

/** Every thread's stacks, merged by stack: the file's text. */
export function collapsed(profile: StackProfile): string {
  const texts = profile.frames().map(frameText);
  const totals = new Map<string, number>();
  for (const t of profile.threadsById())
    for (const s of t.stacks) {
      const key = s.ids.map((id) => texts[id]).join(';');
      totals.set(key, (totals.get(key) ?? 0) + s.value);
    }
  return [...totals].map(([stack, value]) => `${stack} ${value}\n`).join('');
}
