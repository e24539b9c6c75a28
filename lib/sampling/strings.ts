/**
 * Reads a Python str from the target: compact ascii, compact latin-1 / UCS-2 /
 * UCS-4 (PEP 393 kinds 1, 2, 4) and legacy ones (a str subclass's). The traced program
 * chooses every byte: the result is the whole string, or its first
 * `maxChars` code points flagged truncated; never a cut character, never
 * a string built from an object that is not a str.
 */
import { PytraceError } from '../errors';
import { NONE, PythonLayout } from './layout';
import { TargetMemory } from './memory';

export interface TargetString {
  text: string;
  /** Code points in the target's string (text may hold fewer: truncated). */
  length: number;
  truncated: boolean;
}

export const DEFAULT_MAX_CHARS = 4096;

/** Py_TPFLAGS_UNICODE_SUBCLASS (Include/object.h, the same bit in every version). */
const UNICODE_SUBCLASS = 1n << 28n;

function bad(address: bigint, why: string): PytraceError {
  return new PytraceError(
    'PYTRACE_BAD_MEMORY',
    `The object at 0x${address.toString(16)} is not a readable str: ${why}.`,
  );
}

export function readString(
  memory: TargetMemory,
  layout: PythonLayout,
  strType: bigint,
  address: bigint,
  maxChars = DEFAULT_MAX_CHARS,
): TargetString {
  const u = layout.unicode;
  const head = memory.read(address, u.asciiSize); // type, length and state; no more: an ascii string may end there
  const type = head.readBigUInt64LE(layout.object.type);
  // A str subclass (a legacy, non-compact string) says so in its type's flags.
  if (type !== strType && !(memory.u64(type + BigInt(layout.object.typeFlags)) & UNICODE_SUBCLASS))
    throw bad(address, `its type is 0x${type.toString(16)}, not str`);
  const length = head.readBigInt64LE(u.length);
  const state = head.readUInt32LE(u.state);
  const kind = (state >> 2) & 7;
  const compact = (state >> 5) & 1;
  const ascii = (state >> 6) & 1;
  if (u.readyBit !== NONE && !((state >> u.readyBit) & 1))
    throw bad(address, 'not ready (a legacy string never made canonical)');
  if (kind !== 1 && kind !== 2 && kind !== 4) throw bad(address, `kind ${kind}`);
  if (ascii && kind !== 1) throw bad(address, `ascii with kind ${kind}`);
  if (length < 0n || length > 1n << 40n) throw bad(address, `length ${length}`);
  const data = compact
    ? address + BigInt(ascii ? u.asciiSize : u.compactSize)
    : memory.u64(address + BigInt(u.dataPointer));
  const n = Number(length < BigInt(maxChars) ? length : BigInt(maxChars));
  const bytes = n ? memory.read(data, n * kind) : Buffer.alloc(0);
  let text: string;
  if (kind === 1) {
    if (ascii && bytes.some((b) => b >= 0x80)) throw bad(address, 'ascii with a byte over 0x7f');
    text = bytes.toString('latin1');
  } else {
    const points: number[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const c = kind === 2 ? bytes.readUInt16LE(i * 2) : bytes.readUInt32LE(i * 4);
      if (c > 0x10ffff) throw bad(address, `code point 0x${c.toString(16)}`);
      points[i] = c;
    }
    text = '';
    for (let i = 0; i < n; i += 8192) text += String.fromCodePoint(...points.slice(i, i + 8192));
  }
  return { text, length: Number(length), truncated: BigInt(n) < length };
}
