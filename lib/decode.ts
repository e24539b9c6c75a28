/**
 * Decodes a batch of records (struct pt_event, native/bpf/usdt_event.h) into
 * events. Layout: u16 size, u8 type, u8 string_mask, u32 pid, u32 tid,
 * u32 reserved, u64 ts, s64 arg[3], then the string arguments' bytes.
 */
import { TraceEvent } from './markers';

export const HEADER_SIZE = 48;

/** Names repeat: decode each distinct byte sequence once. */
class StringTable {
  private map = new Map<string, string>();
  decode(buf: Buffer, start: number, end: number): string {
    if (end - start > 64) return buf.toString('utf8', start, end);
    const key = buf.toString('latin1', start, end);
    let s = this.map.get(key);
    if (s === undefined) {
      if (this.map.size > 65536) this.map.clear();
      s = buf.toString('utf8', start, end);
      this.map.set(key, s);
    }
    return s;
  }
}

export class BatchDecoder {
  private strings = new StringTable();

  /** Calls `each` for every record of the batch, in order. */
  decode(batch: ArrayBuffer, each: (event: TraceEvent) => void): number {
    const view = new DataView(batch);
    const buf = Buffer.from(batch);
    let at = 0;
    let count = 0;
    while (at + HEADER_SIZE <= batch.byteLength) {
      const size = view.getUint16(at, true);
      if (size < HEADER_SIZE) break;
      each(this.record(view, buf, at));
      at += size;
      count++;
    }
    return count;
  }

  private record(view: DataView, buf: Buffer, at: number): TraceEvent {
    const type = view.getUint8(at + 2);
    const mask = view.getUint8(at + 3);
    const pid = view.getUint32(at + 4, true);
    const tid = view.getUint32(at + 8, true);
    const ts = view.getBigUint64(at + 16, true);
    // Numbers here are C ints, longs and Py_ssize_t: exact as doubles.
    const a0 = Number(view.getBigInt64(at + 24, true));
    const a1 = Number(view.getBigInt64(at + 32, true));
    const a2 = Number(view.getBigInt64(at + 40, true));
    let s = at + HEADER_SIZE;
    const str = (len: number) => this.strings.decode(buf, s, (s += len));
    switch (type) {
      case 1:
      case 2:
      case 3: {
        const filename = mask & 1 ? str(a0) : '';
        const fn = mask & 2 ? str(a1) : '';
        const t = type === 1 ? 'function-entry' : type === 2 ? 'function-return' : 'line';
        return { type: t, pid, tid, ts, filename, function: fn, lineno: a2 };
      }
      case 4:
        return { type: 'gc-start', pid, tid, ts, generation: a0 };
      case 5:
        return { type: 'gc-done', pid, tid, ts, collected: a0 };
      case 6:
        return { type: 'import-find-load-start', pid, tid, ts, module: mask & 1 ? str(a0) : '' };
      case 7:
        return { type: 'import-find-load-done', pid, tid, ts, module: mask & 1 ? str(a0) : '', found: a1 !== 0 };
      default:
        return { type: 'audit', pid, tid, ts, event: mask & 1 ? str(a0) : '' };
    }
  }
}
