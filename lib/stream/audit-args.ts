/**
 * An audit record's tuple items (struct pt_audit_item and payload, after the
 * record's strings) into their JSON form (AuditArg in lib/markers.ts).
 */
import { AuditArg } from '../markers';
import { layout } from '../native';

const ITEM = layout.auditItem.offsets;
const ITEM_SIZE = layout.auditItem.size;
const K = layout.auditKind;
const CUT = layout.auditFlags.PT_AUDIT_CUT;
const NEGATIVE = layout.auditFlags.PT_AUDIT_NEGATIVE;

function ucs4(buf: Buffer, at: number, end: number): string {
  let s = '';
  for (let i = at; i + 4 <= end; i += 4) s += String.fromCodePoint(Math.min(buf.readUInt32LE(i), 0x10ffff));
  return s;
}

/** An int from its 30-bit digits, least significant first. */
function int(buf: Buffer, at: number, len: number, negative: boolean): number | bigint {
  let v = 0n;
  for (let i = len - 4; i >= 0; i -= 4) v = (v << 30n) | BigInt(buf.readUInt32LE(at + i) & 0x3fffffff);
  if (negative) v = -v;
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function str(text: string, cut: boolean): AuditArg {
  return cut ? { str: text, truncated: true } : text;
}

/** Reads `count` items from `at`; returns them and where the next begins. */
export function auditItems(buf: Buffer, at: number, end: number, count: number): { items: AuditArg[]; next: number } {
  const items: AuditArg[] = [];
  for (let i = 0; i < count && at + ITEM_SIZE <= end; i++) {
    const kind = buf[at + ITEM.kind];
    const flags = buf[at + ITEM.flags];
    const len = buf.readUInt16LE(at + ITEM.len);
    const nested = buf.readUInt32LE(at + ITEM.count);
    const p = at + ITEM_SIZE;
    const cut = (flags & CUT) !== 0;
    at = p + len;
    if (at > end) break;
    switch (kind) {
      case K.PT_AUDIT_STR:
      case K.PT_AUDIT_STR_LATIN1:
        items.push(str(buf.toString('latin1', p, p + len), cut));
        break;
      case K.PT_AUDIT_STR_UCS2:
        items.push(str(buf.toString('utf16le', p, p + (len & ~1)), cut));
        break;
      case K.PT_AUDIT_STR_UCS4:
        items.push(str(ucs4(buf, p, p + len), cut));
        break;
      case K.PT_AUDIT_BYTES_VALUE: {
        const bytes = buf.toString('hex', p, p + len);
        items.push(cut ? { bytes, truncated: true } : { bytes });
        break;
      }
      case K.PT_AUDIT_INT:
        items.push(cut ? { type: 'int' } : int(buf, p, len, (flags & NEGATIVE) !== 0));
        break;
      case K.PT_AUDIT_NONE:
        items.push(null);
        break;
      case K.PT_AUDIT_TUPLE: {
        const size = len >= 4 ? buf.readUInt32LE(p) : 0;
        const inner = auditItems(buf, at, end, nested);
        at = inner.next;
        items.push(inner.items.length < size ? { tuple: inner.items, size, truncated: true } : inner.items);
        break;
      }
      case K.PT_AUDIT_OTHER:
        items.push({ type: buf.toString('utf8', p, p + len) });
        break;
      default:
        items.push({ type: '?' }); // not even its type could be read
    }
  }
  return { items, next: at };
}
