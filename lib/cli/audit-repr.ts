/**
 * Audit arguments (lib/markers.ts AuditArg) as Python's repr() shows them,
 * with a visible mark where the kernel cut a value: `'abc'…`, `b'\x00'…`,
 * `('a', 1, …)`. Any other object shows as `<its type>`. What this returns
 * holds no control character: repr() escapes them.
 */
import { AuditArg } from '../markers';

/** What follows a value the kernel cut. */
export const CUT_MARK = '…';

// str.isprintable(): not a control, format, surrogate, private-use,
// unassigned or separator character; the space is printable.
const UNPRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

function quoteFor(hasSingle: boolean, hasDouble: boolean): string {
  return hasSingle && !hasDouble ? '"' : "'";
}

/** repr(s) for a str. */
export function reprStr(s: string): string {
  const q = quoteFor(s.includes("'"), s.includes('"'));
  let out = q;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === q || ch === '\\') out += '\\' + ch;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch !== ' ' && UNPRINTABLE.test(ch))
      out += cp < 0x100 ? `\\x${hex(cp, 2)}` : cp < 0x10000 ? `\\u${hex(cp, 4)}` : `\\U${hex(cp, 8)}`;
    else out += ch;
  }
  return out + q;
}

/** repr(b) for bytes. */
export function reprBytes(b: Uint8Array): string {
  const q = quoteFor(b.includes(0x27), b.includes(0x22));
  const qc = q.charCodeAt(0);
  let out = 'b' + q;
  for (const c of b) {
    if (c === qc || c === 0x5c) out += '\\' + String.fromCharCode(c);
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
    else out += `\\x${hex(c, 2)}`;
  }
  return out + q;
}

/** A tuple's items as Python shows them; `cut`: more items than these. */
export function reprTuple(items: AuditArg[], cut = false): string {
  const shown = items.map(reprArg);
  if (cut) shown.push(CUT_MARK);
  return `(${shown.join(', ')}${items.length === 1 && !cut ? ',' : ''})`;
}

/** One argument. */
export function reprArg(a: AuditArg): string {
  if (a === null) return 'None';
  if (typeof a === 'string') return reprStr(a);
  if (typeof a === 'number' || typeof a === 'bigint') return String(a);
  if (Array.isArray(a)) return reprTuple(a);
  if ('str' in a) return reprStr(a.str) + CUT_MARK;
  if ('bytes' in a) return reprBytes(Buffer.from(a.bytes, 'hex')) + (a.truncated ? CUT_MARK : '');
  if ('tuple' in a) return reprTuple(a.tuple, true);
  return `<${a.type}>`;
}

/** An event's arguments: `args`, the first items of a tuple of `count`. */
export function reprArgs(args: AuditArg[], count: number): string {
  return reprTuple(args, count > args.length);
}
