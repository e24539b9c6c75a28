/** Records as the BPF program writes them, built from the layout the addon exports. */
import { layout } from '../../lib/native';

const E = layout.event.offsets;
const I = layout.auditItem.offsets;

export interface RecordFields {
  type: number;
  pid?: number;
  tid?: number;
  ts?: bigint;
  args?: number[];
  /** Inline strings by argument index: their bytes, and whether the kernel cut them. */
  strings?: { index: number; bytes: Buffer; truncated?: boolean }[];
  unread?: number[];
  nsPid?: number;
  nsTid?: number;
  /** Bytes after the strings (an audit record's items). */
  tail?: Buffer;
}

export function record(f: RecordFields): Buffer {
  const strings = f.strings ?? [];
  const body = Buffer.concat([...strings.map((s) => s.bytes), f.tail ?? Buffer.alloc(0)]);
  const buf = Buffer.alloc(layout.event.size + body.length);
  buf.writeUInt16LE(buf.length, E.size);
  buf.writeUInt8(f.type, E.type);
  buf.writeUInt32LE(f.pid ?? 100, E.pid);
  buf.writeUInt32LE(f.tid ?? f.pid ?? 100, E.tid);
  buf.writeBigUInt64LE(f.ts ?? 1n, E.ts);
  (f.args ?? []).forEach((a, i) => buf.writeBigInt64LE(BigInt(a), E.arg + 8 * i));
  let mask = 0;
  let cut = 0;
  for (const s of strings) {
    mask |= 1 << s.index;
    if (s.truncated) cut |= 1 << s.index;
    buf.writeUInt16LE(s.bytes.length, E.str_len + 2 * s.index);
  }
  buf.writeUInt8(mask, E.string_mask);
  buf.writeUInt8(cut, E.truncated_mask);
  buf.writeUInt8(
    (f.unread ?? []).reduce((m, i) => m | (1 << i), 0),
    E.unread_mask,
  );
  buf.writeUInt32LE(f.nsPid ?? 0, E.ns_pid);
  buf.writeUInt32LE(f.nsTid ?? 0, E.ns_tid);
  body.copy(buf, layout.event.size);
  return buf;
}

/** One audit item (struct pt_audit_item) and its payload. */
export function item(kind: number, payload: Buffer = Buffer.alloc(0), flags = 0, count = 0): Buffer {
  const h = Buffer.alloc(layout.auditItem.size);
  h.writeUInt8(kind, I.kind);
  h.writeUInt8(flags, I.flags);
  h.writeUInt16LE(payload.length, I.len);
  h.writeUInt32LE(count, I.count);
  return Buffer.concat([h, payload]);
}

export function batch(...records: Buffer[]): ArrayBuffer {
  const all = Buffer.concat(records);
  return all.buffer.slice(all.byteOffset, all.byteOffset + all.length) as ArrayBuffer;
}
