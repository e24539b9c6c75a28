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
import { EXEC_RECORD, EXIT_RECORD, FORK_RECORD, processRecord, ProcessRecord } from './processes';

/** What a record decodes to: an event, or one the trace turns into events. */
export type DecodedRecord = TraceEvent | GeneratorCreated | ProcessRecord;

export const HEADER_SIZE = 56;

/** Names sent inline, by (pid, address in the target). */
class SentNames {
  private byPid = new Map<number, Map<number, string>>();
  // A direct-mapped cache in front of the maps: most events hit it, and a
  // typed-array probe costs far less than two Map lookups keyed by doubles (measured).
  private slotPid = new Int32Array(SLOTS).fill(-1);
  private slotAddress = new Float64Array(SLOTS);
  private slotName: string[] = new Array<string>(SLOTS).fill('');

  set(pid: number, address: number, name: string): void {
    let m = this.byPid.get(pid);
    if (!m) this.byPid.set(pid, (m = new Map()));
    m.set(address, name);
    this.remember(pid, address, name);
  }

  /** `fresh`: the kernel could not read it; whatever is kept is stale. */
  get(pid: number, address: number, fresh = false): string {
    if (!fresh) {
      const slot = slotOf(address);
      if (this.slotAddress[slot] === address && this.slotPid[slot] === pid) return this.slotName[slot];
      const name = this.byPid.get(pid)?.get(address);
      if (name !== undefined) {
        this.remember(pid, address, name);
        return name;
      }
    }
    return this.recover(pid, address);
  }

  private remember(pid: number, address: number, name: string): void {
    const slot = slotOf(address);
    this.slotPid[slot] = pid;
    this.slotAddress[slot] = address;
    this.slotName[slot] = name;
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
    this.slotPid.fill(-1);
  }
}

const SLOTS = 4096;
/** Names are 8-byte aligned: the bits above those pick the slot. */
const slotOf = (address: number) => ((address & 0xffffffff) >>> 3) & (SLOTS - 1);

/** An s64 as a double, from its halves: exact below 2^53, and cheaper than a BigInt (measured). */
const s64 = (view: DataView, at: number) => view.getInt32(at + 4, true) * 4294967296 + view.getUint32(at, true);

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
  decode(batch: ArrayBuffer, each: (event: DecodedRecord) => void): number {
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

  private record(view: DataView, buf: Buffer, at: number): DecodedRecord {
    const ev = this.fields(view, buf, at);
    if (ev.type === 'fork' || ev.type === 'exec' || ev.type === 'exit') return ev;
    // The kernel fills them in only when asked; equal to the host's: not in a container.
    const nsPid = view.getUint32(at + 48, true);
    const nsTid = view.getUint32(at + 52, true);
    if (nsPid !== 0 && (nsPid !== ev.pid || nsTid !== ev.tid) && ev.type !== 'generator-created') {
      ev.nsPid = nsPid;
      ev.nsTid = nsTid;
    }
    return ev;
  }

  /** Where the next inline string of the record being decoded starts. */
  private cursor = 0;

  /** String argument i: inline, unread (fetched here), or known by address. */
  private string(view: DataView, buf: Buffer, at: number, i: number, address: number, cacheable: boolean): string {
    const bit = 1 << i;
    const pid = view.getUint32(at + 4, true);
    if (view.getUint8(at + 3) & bit) {
      const start = this.cursor;
      this.cursor += view.getUint8(at + 12 + i);
      const v = buf.toString('utf8', start, this.cursor);
      if (cacheable) this.names.set(pid, address, v);
      return v;
    }
    const unread = (view.getUint8(at + 15) & bit) !== 0;
    return unread || cacheable ? this.names.get(pid, address, unread) : '';
  }

  private fields(view: DataView, buf: Buffer, at: number): DecodedRecord {
    const type = view.getUint8(at + 2);
    const pid = view.getUint32(at + 4, true);
    const tid = view.getUint32(at + 8, true);
    const ts = view.getBigUint64(at + 16, true);
    // Addresses (< 2^47), C ints, longs and Py_ssize_t: exact as doubles.
    const a0 = s64(view, at + 24);
    const a1 = s64(view, at + 32);
    const a2 = s64(view, at + 40);
    this.cursor = at + HEADER_SIZE;
    const str = (i: number, address: number, cacheable: boolean) => this.string(view, buf, at, i, address, cacheable);
    switch (type) {
      case 1:
      case 2:
      case 3: {
        const filename = this.string(view, buf, at, 0, a0, true);
        const fn = this.string(view, buf, at, 1, a1, true);
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
      case FORK_RECORD:
      case EXEC_RECORD:
      case EXIT_RECORD:
        return processRecord(type, pid, tid, ts, a0, a1, () => str(0, a0, false))!;
      default: {
        const event = str(0, a0, false);
        if (a1 < 0) return { type: 'audit', pid, tid, ts, event };
        const args: AuditArg[] = [];
        for (let i = 0, s = this.cursor; i < a2; i++) {
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
