/**
 * Whether a sampled stack is one a test script can be in. The script reports
 * its call graph: each function's lines, and for each line that calls, whom
 * (its "# calls:" comments); the lines where <module> waits ("# at:").
 */
import { SampleEvent } from '../../lib/api/profile';

export interface CallGraph {
  file: string;
  tid: number;
  functions: Record<string, [number, number]>;
  /** line -> the functions called there. */
  calls: Record<string, string[]>;
  /** Lines where <module> waits for the test (on stdin). */
  waits: number[];
}

/** Why `frames` (innermost first) is not a stack of the script, or null if it is. */
export function notAStackOf(g: CallGraph, frames: SampleEvent['frames']): string | null {
  const outer = [...frames].reverse();
  const shown = outer.map((f) => `${f.function}:${f.lineno}`).join(' > ');
  if (!outer.length) return 'an empty stack';
  if (outer[0].function !== '<module>') return `${shown}: the outermost frame is not <module>`;
  // Waiting on stdin: whatever reads it (the codecs' frames) may be under the module.
  if (outer[0].filename === g.file && g.waits.includes(outer[0].lineno ?? -1)) return null;
  for (let i = 0; i < outer.length; i++) {
    const f = outer[i];
    if (f.filename !== g.file) return `${shown}: frame ${i} is in ${f.filename}`;
    if (i < outer.length - 1) {
      const callee = outer[i + 1].function;
      if (!(g.calls[String(f.lineno)] ?? []).includes(callee))
        return `${shown}: ${f.function} at line ${f.lineno} does not call ${callee}`;
    } else if (f.function === '<module>') {
      if (!g.calls[String(f.lineno)]) return `${shown}: <module> at line ${f.lineno}`;
    } else {
      const lines = g.functions[f.function];
      if (!lines) return `${shown}: ${f.function} is not a function of the script`;
      if (f.lineno === null || f.lineno < lines[0] || f.lineno > lines[1])
        return `${shown}: ${f.function} at line ${f.lineno}, outside ${lines[0]}-${lines[1]}`;
    }
  }
  return null;
}
