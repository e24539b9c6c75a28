/**
 * Decodes a batch of records (struct pt_event, native/bpf/usdt_event.h) into
 * events. Layout: u16 size, u8 type, u8 string_mask, u32 pid, u32 tid,
 * u8 str_len[3], u8 unread_mask, u64 ts, s64 arg[3], u32 ns_pid, u32 ns_tid,
 * then the inline strings.
 *
 * A frame's names arrive inline the first time a (pid, address) is seen and
 * by address after that: the decoder keeps what it was sent, per process.
 */
import * as fs from 'fs';
import { GENERATOR_CREATED, GeneratorCreated } from './generators';
import { AuditArg, TraceEvent } from './markers';

export const HEADER_SIZE = 56;

/** Names sent inline, by (pid, address in the target). */
class SentNames {
  private byPid = new Map<number, Map<number, string>>();

  set(pid: number, address: number, name: string): void {
    let m = this.byPid.get(pid);
    if (!m) this.byPid.set(pid, (m = new Map()));
    m.set(address, name);
  }

  /** `fresh`: the kernel could not read it; whatever is kept is stale. */
  get(pid: number, address: number, fresh = false): string {
    const name = fresh ? undefined : this.byPid.get(pid)?.get(address);
    return name ?? this.recover(pid, address);
  }

  /**
   * For a string the kernel could not read (its page was not present), and
   * after lost records: read it from the target's memory, where it still is
   * while its code lives.
   */
  private recover(pid: number, address: number): string {
    let name = '<unknown>';
    try {
      const fd = fs.openSync(`/proc/${pid}/mem`, 'r');
      try {
        const buf = Buffer.alloc(256);
        const n = fs.readSync(fd, buf, 0, buf.length, address);
        const end = buf.indexOf(0);
        name = buf.toString('utf8', 0, end >= 0 && end < n ? end : n);
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      /* the process is gone */
    }
    this.set(pid, address, name);
    return name;
  }

  forget(pid: number): void {
    this.byPid.delete(pid);
  }
}

const TYPES = ['', 'function-entry', 'function-return', 'line'] as const;

/** enum pt_audit_kind in native/bpf/usdt_event.h */
function auditArg(kind: number, buf: Buffer, at: number, len: number): AuditArg {
  switch (kind) {
    case 0:
      return { type: buf.toString('utf8', at, at + len) };
    case 1:
      return buf.toString('latin1', at, at + len);
    case 2:
      return Buffer.from(buf.subarray(at, at + len));
    case 3: {
      if (len !== 8) return { type: 'int' }; // beyond 60 bits
      const v = buf.readBigInt64LE(at);
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    }
    case 4:
      return null;
    default:
      return undefined;
  }
}

export class BatchDecoder {
  private names = new SentNames();

  /** Calls `each` for every record of the batch, in order; returns how many. */
  decode(batch: ArrayBuffer, each: (event: TraceEvent | GeneratorCreated) => void): number {
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

  /** Drops what is kept for a process that exited. */
  forget(pid: number): void {
    this.names.forget(pid);
  }

  private record(view: DataView, buf: Buffer, at: number): TraceEvent | GeneratorCreated {
    const ev = this.fields(view, buf, at);
    // The kernel fills them in only when asked; equal to the host's: not in a container.
    const nsPid = view.getUint32(at + 48, true);
    const nsTid = view.getUint32(at + 52, true);
    if (nsPid !== 0 && (nsPid !== ev.pid || nsTid !== ev.tid) && ev.type !== 'generator-created') {
      ev.nsPid = nsPid;
      ev.nsTid = nsTid;
    }
    return ev;
  }

  private fields(view: DataView, buf: Buffer, at: number): TraceEvent | GeneratorCreated {
    const type = view.getUint8(at + 2);
    const mask = view.getUint8(at + 3);
    const pid = view.getUint32(at + 4, true);
    const tid = view.getUint32(at + 8, true);
    const ts = view.getBigUint64(at + 16, true);
    // Addresses (< 2^47), C ints, longs and Py_ssize_t: exact as doubles.
    const a0 = Number(view.getBigInt64(at + 24, true));
    const a1 = Number(view.getBigInt64(at + 32, true));
    const a2 = Number(view.getBigInt64(at + 40, true));
    let s = at + HEADER_SIZE;
    const unread = view.getUint8(at + 15);
    const inline = (i: number) => buf.toString('utf8', s, (s += view.getUint8(at + 12 + i)));
    // A string argument: inline, unread (fetched here), or known by address.
    const str = (i: number, address: number, cacheable: boolean): string => {
      if (mask & (1 << i)) {
        const v = inline(i);
        if (cacheable) this.names.set(pid, address, v);
        return v;
      }
      if (unread & (1 << i) || cacheable) return this.names.get(pid, address, (unread & (1 << i)) !== 0);
      return '';
    };
    switch (type) {
      case 1:
      case 2:
      case 3: {
        const filename = str(0, a0, true);
        const fn = str(1, a1, true);
        return { type: TYPES[type], pid, tid, ts, filename, function: fn, lineno: a2 };
      }
      case 4:
        return { type: 'gc-start', pid, tid, ts, generation: a0 };
      case 5:
        return { type: 'gc-done', pid, tid, ts, collected: a0 };
      case 6:
        return { type: 'import-find-load-start', pid, tid, ts, module: str(0, a0, false) };
      case 7:
        return { type: 'import-find-load-done', pid, tid, ts, module: str(0, a0, false), found: a1 !== 0 };
      case GENERATOR_CREATED:
        return { type: 'generator-created', pid, tid, ts };
      default: {
        const event = str(0, a0, false);
        if (a1 < 0) return { type: 'audit', pid, tid, ts, event };
        const args: AuditArg[] = [];
        for (let i = 0; i < a2; i++) {
          const kind = buf[s];
          const len = buf[s + 1];
          args.push(auditArg(kind, buf, s + 2, len));
          s += 2 + len;
        }
        return { type: 'audit', pid, tid, ts, event, args, argCount: a1 };
      }
    }
  }
}
