/**
 * Line tables: which source line each instruction of a code object is on,
 * decoded as CPython itself does (PyCode_Addr2Line). Offsets are in bytes
 * from the first code unit. Three formats:
 * - lnotab (3.9): pairs (byte step, signed line step), Objects/lnotab_notes.txt;
 * - linetable (3.10, PEP 626): pairs (byte step, signed line step, -128: no line);
 * - locations (3.11+): entries of 1 + n bytes, Objects/locations.md.
 * The bytes come from the traced process: any input decodes to ranges or
 * throws, never loops or reads past the end.
 */
import { LineTableFormat } from './layout';

/** Instructions in [start, end) are on `line` (null: no line, e.g. cleanup code). */
export interface LineRange {
  start: number;
  end: number;
  line: number | null;
}

export function decodeLineTable(format: LineTableFormat, table: Uint8Array, firstLine: number): LineRange[] {
  switch (format) {
    case 'lnotab':
      return decodeLnotab(table, firstLine);
    case 'linetable':
      return decodeLinetable310(table, firstLine);
    case 'locations':
      return decodeLocations(table, firstLine);
  }
}

/** The line of the instruction at byte `offset`, or null if it has none. */
export function lineAt(ranges: LineRange[], offset: number): number | null {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = ranges[mid];
    if (offset < r.start) hi = mid - 1;
    else if (offset >= r.end) lo = mid + 1;
    else return r.line;
  }
  return null;
}

const signed8 = (b: number) => (b >= 128 ? b - 256 : b);

/**
 * 3.9: the line is co_firstlineno plus every line step whose pair's running
 * byte offset is at or before the instruction. The last range is open-ended.
 */
export function decodeLnotab(table: Uint8Array, firstLine: number): LineRange[] {
  const out: LineRange[] = [];
  let start = 0;
  let line = firstLine;
  for (let i = 0; i + 1 < table.length; i += 2) {
    const step = table[i];
    if (step) {
      out.push({ start, end: start + step, line });
      start += step;
    }
    line += signed8(table[i + 1]);
  }
  out.push({ start, end: Number.MAX_SAFE_INTEGER, line });
  return out;
}

/** 3.10: each pair closes a range; -128 marks a range with no line; empty ranges are skipped. */
export function decodeLinetable310(table: Uint8Array, firstLine: number): LineRange[] {
  const out: LineRange[] = [];
  let start = 0;
  let line = firstLine;
  for (let i = 0; i + 1 < table.length; i += 2) {
    const end = start + table[i];
    const delta = signed8(table[i + 1]);
    let rangeLine: number | null = null;
    if (delta !== -128) {
      line += delta;
      rangeLine = line;
    }
    if (end > start) out.push({ start, end, line: rangeLine });
    start = end;
  }
  return out;
}

/**
 * 3.11+: an entry starts with a byte whose top bit is set: code = bits 3-6,
 * length = bits 0-2 plus one, in 2-byte code units. Code 15: no location;
 * 14 (long form) and 13 (no columns): a signed varint line step follows; 10-12:
 * the line steps by code - 10; 0-9 (short forms): same line. Column bytes that
 * follow are skipped up to the next entry's start byte.
 */
export function decodeLocations(table: Uint8Array, firstLine: number): LineRange[] {
  const out: LineRange[] = [];
  let start = 0;
  let line = firstLine;
  let i = 0;
  while (i < table.length) {
    const first = table[i];
    if (!(first & 0x80)) {
      i++; // not an entry start: CPython skips to the next one too
      continue;
    }
    const code = (first >> 3) & 15;
    const end = start + ((first & 7) + 1) * 2;
    let rangeLine: number | null = line;
    if (code === 15) rangeLine = null;
    else if (code === 13 || code === 14) {
      line += signedVarint(table, i + 1);
      rangeLine = line;
    } else if (code >= 10) {
      line += code - 10;
      rangeLine = line;
    }
    const last = out[out.length - 1];
    if (last && last.line === rangeLine && last.end === start) last.end = end;
    else out.push({ start, end, line: rangeLine });
    start = end;
    do i++;
    while (i < table.length && !(table[i] & 0x80));
  }
  return out;
}

/** Unsigned varint of 6-bit chunks, least significant first, bit 6 = more; then zig-zag sign in bit 0. */
function signedVarint(table: Uint8Array, at: number): number {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (at >= table.length || shift > 30) return 0; // cut or oversized: CPython would read garbage; we do not
    const b = table[at++];
    value += (b & 63) * 2 ** shift;
    shift += 6;
    if (!(b & 64)) break;
  }
  return value % 2 === 1 ? -Math.floor(value / 2) : value / 2;
}
