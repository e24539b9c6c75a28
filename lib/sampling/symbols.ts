/**
 * Symbolization in user space: a code object address and an instruction
 * offset (what the BPF walker emits per frame) -> file, qualified function
 * name and line. A code object's strings and line table are read once per
 * (pid, address, identity): the identity is what the walker saw at that
 * address (struct pt_sample_frame), so an address whose code was freed and
 * given to another between the sample and now is never given the new code's
 * name: it no longer matches, and the frame is unreadable.
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
  /** codeIdentity of the code object as read, then as a sample could have seen it before (see identities). */
  identities: number[];
}

const mix = (h: number, v: bigint) =>
  (Math.imul(h, 0x9e3779b1) ^ (Number(v & 0xffffffffn) ^ Number((v >> 32n) & 0xffffffffn))) >>> 0;

/** A str's address, and its length and cached hash (-1 until computed) as read. */
export interface StrIdentity {
  address: bigint;
  length: bigint;
  hash: bigint;
}

/** What identifies a code object at its address: pt_sample_frame.identity, as the walker computes it. */
export function codeIdentity(filename: StrIdentity, name: StrIdentity, firstLine: number): number {
  let h = mix(0, filename.address);
  h = mix(h, name.address);
  h = mix(h, BigInt(firstLine >>> 0));
  for (const v of [filename.length, filename.hash, name.length, name.hash]) h = mix(h, BigInt.asUintN(64, v));
  return h;
}

/**
 * Is this ob_refcnt word a live object's? A freed block's first word is the
 * allocator's link to the next free one (pymalloc, glibc): NULL or a pointer,
 * which has bits 32-47 set. A live count is not 0 and fits in 32 bits (the
 * immortal ones too; 3.14 keeps flags in bits 48-63). A freed code object
 * keeps its other fields, but its strings may be freed and reused: never
 * read through it.
 */
function alive(refcount: bigint): boolean {
  return (refcount & 0xffffffffn) !== 0n && ((refcount >> 32n) & 0xffffn) === 0n;
}

/** The identities the sample may have seen: a hash computed since was -1 then. */
function identities(filename: StrIdentity, name: StrIdentity, firstLine: number): number[] {
  const unhashed = (s: StrIdentity) => (s.hash === -1n ? [s] : [s, { ...s, hash: -1n }]);
  return unhashed(filename).flatMap((f) => unhashed(name).map((n) => codeIdentity(f, n, firstLine)));
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

/** Bounded: the oldest entries go first. Keys are (pid, code address, identity or '*': unchecked). */
export class SymbolCache {
  private entries = new Map<string, CodeSymbol>();

  constructor(readonly maxEntries = 65536) {}

  get(pid: number, address: bigint, identity: number | '*'): CodeSymbol | undefined {
    return this.entries.get(`${pid}:${address}:${identity}`);
  }

  set(pid: number, address: bigint, identity: number | '*', symbol: CodeSymbol): void {
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(`${pid}:${address}:${identity}`, symbol);
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

  /**
   * The code object at `address`; with `identity` (a sample's), only if it is
   * still the code the sample saw there, else PYTRACE_CODE_GONE.
   */
  code(address: bigint, identity?: number): CodeSymbol {
    const pid = this.runtime.pid;
    const key = identity ?? '*';
    const cached = this.cache.get(pid, address, key);
    if (cached) return cached;
    const symbol = this.readCode(address);
    if (identity !== undefined && !symbol.identities.includes(identity))
      throw new PytraceError(
        'PYTRACE_CODE_GONE',
        `The code sampled at 0x${address.toString(16)} was freed, and its address now holds other code.`,
      );
    this.cache.set(pid, address, key, symbol);
    return symbol;
  }

  /** File, qualified name and line of the instruction at byte `offset` of the code at `address`. */
  frame(address: bigint, offset: number, identity?: number): FrameSymbol {
    const code = this.code(address, identity);
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
    if (!alive(m.u64(address)))
      throw new PytraceError('PYTRACE_CODE_GONE', `The code object at 0x${address.toString(16)} was freed.`);
    const pointer = (offset: number) => m.u64(address + BigInt(offset));
    const str = (p: bigint) => readString(m, layout, this.runtime.unicodeType, p, this.maxChars);
    const strIdentity = (address: bigint): StrIdentity => ({
      address,
      length: m.i64(address + BigInt(layout.unicode.length)),
      hash: m.i64(address + BigInt(layout.unicode.length + 8)),
    });
    const filenamePointer = pointer(c.filename);
    const namePointer = pointer(c.name);
    const ids = [strIdentity(filenamePointer), strIdentity(namePointer)] as const;
    const name = str(namePointer);
    const qualname = c.qualname >= 0 ? str(pointer(c.qualname)) : name;
    const firstLine = m.i32(address + BigInt(c.firstlineno));
    const table = this.readBytes(m.u64(address + BigInt(c.lineTable)));
    return {
      address,
      filename: str(filenamePointer),
      qualname,
      name,
      firstLine,
      lines: decodeLineTable(c.lineTableFormat, table, firstLine),
      identities: identities(ids[0], ids[1], firstLine),
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
