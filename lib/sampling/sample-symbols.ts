/**
 * Turns the kernel's frames (code address, instruction offset, identity of
 * the code seen there) into file, function and line, through the
 * Symbolizer's cache (per pid, address, identity).
 *
 * A code object can be freed and its address reused by another before its
 * samples are read here (a module's top-level code is freed once the module
 * has run). The kernel's identity of each frame says which code it saw; a
 * frame whose address holds other code by now is counted as unreadable and
 * shown as <unknown>, never under the new code's name.
 */
import { PytraceError } from '../errors';
import { RawFrame } from '../stream/samples';
import { PythonRuntime } from './runtime';
import { SymbolCache, Symbolizer } from './symbols';

export interface SymbolizedFrame {
  function: string;
  filename: string;
  /** null: the code has no line for this instruction. */
  lineno: number | null;
  /** The code object's address. */
  code: number;
  truncated: boolean;
}

const UNKNOWN = '<unknown>';

export class SampleSymbols {
  private symbolizer: Symbolizer;
  /** Frames that could not be read (the code was freed, or the process is gone). */
  unreadable = 0;

  constructor(
    readonly runtime: PythonRuntime,
    cache = new SymbolCache(),
  ) {
    this.symbolizer = new Symbolizer(runtime, cache);
  }

  frame(f: RawFrame): SymbolizedFrame {
    try {
      const s = this.symbolizer.frame(BigInt(f.code), f.offset, f.identity);
      return { function: s.function, filename: s.filename, lineno: s.line, code: f.code, truncated: s.truncated };
    } catch (e) {
      if (!(e instanceof PytraceError)) throw e;
      this.unreadable++;
      return { function: UNKNOWN, filename: UNKNOWN, lineno: null, code: f.code, truncated: false };
    }
  }

  close(): void {
    this.symbolizer.close();
  }
}
