/**
 * Turns the kernel's frames (code address, instruction offset) into file,
 * function and line, through the Symbolizer's cache (per pid, address,
 * generation).
 *
 * A code object can be freed and its address reused by another. Builds
 * without markers have no code-creation probe to count generations with, so
 * the generation of an address is kept here: once per batch, each cached
 * address the batch refers to has its identity re-read (type, file name,
 * name and line table pointers, first line: one read); if they changed, the
 * address starts a new generation and is symbolized afresh. (Not covered: a
 * reuse whose new code object has all of these equal to the old one's, and a
 * reuse and a sample of the new code both between two checks.)
 */
import { PytraceError } from '../errors';
import { RawFrame } from '../stream/samples';
import { TargetMemory } from './memory';
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
  private memory: TargetMemory;
  /** address -> [generation, identity bytes] */
  private identities = new Map<number, { generation: number; identity: Buffer }>();
  private span: { start: number; length: number };
  /** Frames that could not be read (the code was freed, or the process is gone). */
  unreadable = 0;

  constructor(
    readonly runtime: PythonRuntime,
    cache = new SymbolCache(),
  ) {
    this.symbolizer = new Symbolizer(runtime, cache);
    this.memory = new TargetMemory(runtime.pid);
    const l = runtime.layout;
    const fields = [
      l.object.type,
      l.code.filename,
      l.code.name,
      l.code.lineTable,
      l.code.firstlineno,
      ...(l.code.qualname >= 0 ? [l.code.qualname] : []),
    ];
    const start = Math.min(...fields);
    this.span = { start, length: Math.max(...fields) + 8 - start };
  }

  /** Call once per batch, before its frames: addresses whose code changed start a new generation. */
  recheck(addresses: Iterable<number>): void {
    for (const address of addresses) {
      const known = this.identities.get(address);
      if (!known) continue;
      const now = this.identity(address);
      if (now && !now.equals(known.identity))
        this.identities.set(address, { generation: known.generation + 1, identity: now });
    }
  }

  frame(f: RawFrame): SymbolizedFrame {
    let known = this.identities.get(f.code);
    try {
      if (!known) {
        const identity = this.identity(f.code);
        if (!identity) throw new PytraceError('PYTRACE_BAD_MEMORY', 'unreadable');
        this.identities.set(f.code, (known = { generation: 0, identity }));
      }
      const s = this.symbolizer.frame(BigInt(f.code), f.offset, known.generation);
      return { function: s.function, filename: s.filename, lineno: s.line, code: f.code, truncated: s.truncated };
    } catch (e) {
      if (!(e instanceof PytraceError)) throw e;
      this.unreadable++;
      return { function: UNKNOWN, filename: UNKNOWN, lineno: null, code: f.code, truncated: false };
    }
  }

  close(): void {
    this.symbolizer.close();
    this.memory.close();
  }

  private identity(address: number): Buffer | undefined {
    try {
      return this.memory.read(BigInt(address + this.span.start), this.span.length);
    } catch (e) {
      if (e instanceof PytraceError) return undefined;
      throw e;
    }
  }
}
