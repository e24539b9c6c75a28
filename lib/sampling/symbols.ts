/**
 * Symbolization in user space: a code object address and an instruction
 * offset (what the BPF walker will emit per frame) -> file, qualified
 * function name and line. A code object's strings and line table are read
 * once per (pid, address, generation): the generation is the caller's count
 * of code objects created in that process (the BPF side bumps it when a code
 * object is freed and its address may be reused), so a reused address is
 * never given a dead function's name.
 */
import { PytraceError } from '../errors';
import { decodeLineTable, LineRange, lineAt } from './line-table';
import { InstructionKind, PythonLayout } from './layout';
import { TargetMemory } from './memory';
import { PythonRuntime } from './runtime';
import { DEFAULT_MAX_CHARS, readString, TargetString } from './strings';

export interface CodeSymbol {
  address: bigint;
  filename: TargetString;
  /** co_qualname from 3.11; co_name before (which has no qualified name). */
  qualname: TargetString;
  name: TargetString;
  firstLine: number;
  lines: LineRange[];
}

export interface FrameSymbol {
  filename: string;
  function: string;
  line: number | null;
  /** A name or file name longer than the limit: its first characters only. */
  truncated: boolean;
}

/** Line tables beyond this are refused: no real function has one (about 1 MiB). */
const MAX_LINE_TABLE = 1 << 20;

/** Bounded: the oldest entries go first. Keys are (pid, code address, generation). */
export class SymbolCache {
  private entries = new Map<string, CodeSymbol>();

  constructor(readonly maxEntries = 65536) {}

  get(pid: number, address: bigint, generation: number): CodeSymbol | undefined {
    return this.entries.get(`${pid}:${address}:${generation}`);
  }

  set(pid: number, address: bigint, generation: number, symbol: CodeSymbol): void {
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(`${pid}:${address}:${generation}`, symbol);
  }

  /** Drops a process's entries (it exited, or exec'd another program). */
  forget(pid: number): void {
    for (const key of this.entries.keys()) if (key.startsWith(`${pid}:`)) this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * Byte offset of a frame's instruction from the raw value the frame holds
 * (see InstructionKind); negative: the frame has not started its first
 * instruction.
 */
export function instructionOffset(layout: PythonLayout, raw: bigint, codeAddress: bigint): number {
  const kind: InstructionKind = layout.frame.instructionKind;
  if (kind === 'lasti-bytes') return Number(BigInt.asIntN(32, raw));
  if (kind === 'lasti-units') return Number(BigInt.asIntN(32, raw)) * 2;
  return Number(raw - (codeAddress + BigInt(layout.code.units)));
}

export class Symbolizer {
  private memory: TargetMemory;

  constructor(
    readonly runtime: PythonRuntime,
    readonly cache = new SymbolCache(),
    readonly maxChars = DEFAULT_MAX_CHARS,
  ) {
    this.memory = new TargetMemory(runtime.pid);
  }

  /** The code object at `address`, read once per generation. */
  code(address: bigint, generation = 0): CodeSymbol {
    const pid = this.runtime.pid;
    const cached = this.cache.get(pid, address, generation);
    if (cached) return cached;
    const symbol = this.readCode(address);
    this.cache.set(pid, address, generation, symbol);
    return symbol;
  }

  /** File, qualified name and line of the instruction at byte `offset` of the code at `address`. */
  frame(address: bigint, offset: number, generation = 0): FrameSymbol {
    const code = this.code(address, generation);
    // CPython gives an unstarted frame (offset < 0) its first line.
    const line = offset < 0 ? code.firstLine : lineAt(code.lines, offset);
    return {
      filename: code.filename.text,
      function: code.qualname.text,
      line,
      truncated: code.filename.truncated || code.qualname.truncated,
    };
  }

  close(): void {
    this.memory.close();
  }

  private readCode(address: bigint): CodeSymbol {
    const { layout, codeType } = this.runtime;
    const m = this.memory;
    const c = layout.code;
    const type = m.u64(address + BigInt(layout.object.type));
    if (type !== codeType)
      throw new PytraceError(
        'PYTRACE_BAD_MEMORY',
        `The object at 0x${address.toString(16)} is not a code object (its type is 0x${type.toString(16)}).`,
      );
    const str = (offset: number) =>
      readString(m, layout, this.runtime.unicodeType, m.u64(address + BigInt(offset)), this.maxChars);
    const name = str(c.name);
    const qualname = c.qualname >= 0 ? str(c.qualname) : name;
    const firstLine = m.i32(address + BigInt(c.firstlineno));
    const table = this.readBytes(m.u64(address + BigInt(c.lineTable)));
    return {
      address,
      filename: str(c.filename),
      qualname,
      name,
      firstLine,
      lines: decodeLineTable(c.lineTableFormat, table, firstLine),
    };
  }

  private readBytes(address: bigint): Buffer {
    const { layout, bytesType } = this.runtime;
    const type = this.memory.u64(address + BigInt(layout.object.type));
    if (type !== bytesType)
      throw new PytraceError(
        'PYTRACE_BAD_MEMORY',
        `The line table at 0x${address.toString(16)} is not a bytes object.`,
      );
    const size = this.memory.i64(address + BigInt(layout.bytes.size));
    if (size < 0n || size > BigInt(MAX_LINE_TABLE))
      throw new PytraceError('PYTRACE_BAD_MEMORY', `The line table at 0x${address.toString(16)} claims ${size} bytes.`);
    return size ? this.memory.read(address + BigInt(layout.bytes.data), Number(size)) : Buffer.alloc(0);
  }
}
