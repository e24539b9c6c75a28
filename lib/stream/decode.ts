/**
 * Decodes a batch of records (struct pt_event, native/bpf/usdt_event.h, at
 * the offsets the addon exports) into events.
 *
 * A frame's names arrive inline the first time a (pid, address) is seen and
 * by address after that: the decoder keeps what it was sent, per process.
 * A record of a type it does not know is skipped, and not counted as decoded
 * (the trace reports it as lost).
 */
import { auditItems } from './audit-args';
import { GENERATOR_CREATED, GeneratorCreated } from '../planning/generators';
import { TraceEvent } from '../markers';
import { layout } from '../native';
import { nameText, readTargetString } from './target-strings';
import { processRecord, ProcessRecord } from './process-records';

/** What a record decodes to: an event, or one the trace turns into events. */
export type DecodedRecord = TraceEvent | GeneratorCreated | ProcessRecord;
import { decodeSample, RawSample, SAMPLE_SIZE, STACK_SAMPLE } from './samples';

const E = layout.event.offsets;
export const HEADER_SIZE = layout.event.size;
const T = layout.eventType;
const O_SIZE = E.size;
const O_TYPE = E.type;
const O_STRING_MASK = E.string_mask;
const O_PID = E.pid;
const O_TID = E.tid;
const O_UNREAD = E.unread_mask;
const O_TRUNCATED = E.truncated_mask;
const O_STR_LEN = E.str_len;
const O_TS = E.ts;
const O_ARG = E.arg;
const O_NS_PID = E.ns_pid;
const O_NS_TID = E.ns_tid;
const ARG_SIZE = 8; // s64 arg[PT_MAX_ARGS]

/** Names sent inline, by (pid, address in the target). */
class SentNames {
  private byPid = new Map<number, Map<number, string>>();
  /** The few names that were cut (longer than PT_NAME_MAX), by pid. */
  private cut = new Map<number, Set<number>>();
  // A direct-mapped cache in front of the maps: most events hit it, and a
  // typed-array probe costs far less than two Map lookups keyed by doubles (measured).
  private slotPid = new Int32Array(SLOTS).fill(-1);
  private slotAddress = new Float64Array(SLOTS);
  private slotName: string[] = new Array<string>(SLOTS).fill('');
  /** How many names in `cut`: while none, no event needs a look there. */
  cutCount = 0;

  set(pid: number, address: number, name: string, truncated: boolean): void {
    let m = this.byPid.get(pid);
    if (!m) this.byPid.set(pid, (m = new Map()));
    m.set(address, name);
    let cut = this.cut.get(pid);
    if (truncated) {
      if (!cut) this.cut.set(pid, (cut = new Set()));
      if (!cut.has(address)) this.cutCount++;
      cut.add(address);
    } else if (cut?.delete(address)) this.cutCount--;
    this.remember(pid, address, name);
  }

  isCut(pid: number, address: number): boolean {
    return this.cut.get(pid)?.has(address) ?? false;
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
    const s = readTargetString(pid, address) ?? { text: '<unknown>', truncated: false };
    this.set(pid, address, s.text, s.truncated);
    return s.text;
  }

  forget(pid: number): void {
    this.byPid.delete(pid);
    this.cutCount -= this.cut.get(pid)?.size ?? 0;
    this.cut.delete(pid);
    this.slotPid.fill(-1);
  }
}

const SLOTS = 4096;
/** Names are 8-byte aligned: the bits above those pick the slot. */
const slotOf = (address: number) => ((address & 0xffffffff) >>> 3) & (SLOTS - 1);

/** An s64 as a double, from its little-endian halves: exact below 2^53, and cheaper than a BigInt (measured). */
const HIGH_HALF = 4;
const s64 = (view: DataView, at: number) => view.getInt32(at + HIGH_HALF, true) * 4294967296 + view.getUint32(at, true);

/**
 * Record type -> what to decode: a table, so that the switch below compares
 * literal constants (a jump table) rather than the layout's values; 0: unknown.
 */
const ENTRY = 1,
  RETURN = 2,
  LINE = 3,
  GC_START = 4,
  GC_DONE = 5,
  IMPORT_START = 6,
  IMPORT_DONE = 7,
  AUDIT = 8,
  CREATED = 9,
  PROCESS = 10;
const KIND = new Uint8Array(256);
KIND[T.PT_EV_FUNCTION_ENTRY] = ENTRY;
KIND[T.PT_EV_FUNCTION_RETURN] = RETURN;
KIND[T.PT_EV_LINE] = LINE;
KIND[T.PT_EV_GC_START] = GC_START;
KIND[T.PT_EV_GC_DONE] = GC_DONE;
KIND[T.PT_EV_IMPORT_START] = IMPORT_START;
KIND[T.PT_EV_IMPORT_DONE] = IMPORT_DONE;
KIND[T.PT_EV_AUDIT] = AUDIT;
KIND[GENERATOR_CREATED] = CREATED;
KIND[T.PT_EV_FORK] = PROCESS;
KIND[T.PT_EV_EXEC] = PROCESS;
KIND[T.PT_EV_EXIT] = PROCESS;
const FRAME_TYPES = ['', 'function-entry', 'function-return', 'line'] as const;

export class BatchDecoder {
  private names = new SentNames();
  /** A string of the record being decoded was cut (set rarely, cleared by the event that takes it). */
  private cutInRecord = false;

  /**
   * Calls `each` for every record of the batch it can decode, in order; returns how many.
   * Stack samples go to `onSample` (without it they are not decoded).
   */
  decode(batch: ArrayBuffer, each: (event: DecodedRecord) => void, onSample?: (sample: RawSample) => void): number {
    const view = new DataView(batch);
    const buf = Buffer.from(batch);
    let at = 0;
    let count = 0;
    // Every record starts with its size and type (a sample's header is shorter than an event's).
    while (at + O_TYPE + 1 <= batch.byteLength) {
      const size = view.getUint16(at + O_SIZE, true);
      if (view.getUint8(at + O_TYPE) === STACK_SAMPLE) {
        if (size < SAMPLE_SIZE || at + size > batch.byteLength) break;
        const sample = onSample && decodeSample(view, at, size);
        if (sample) {
          onSample(sample);
          count++;
        }
        at += size;
        continue;
      }
      if (size < HEADER_SIZE || at + size > batch.byteLength) break;
      const ev = this.record(view, buf, at, size);
      if (ev) {
        each(ev);
        count++;
      }
      at += size;
    }
    return count;
  }

  /** Drops what is kept for a process that exited. */
  forget(pid: number): void {
    this.names.forget(pid);
  }

  private record(view: DataView, buf: Buffer, at: number, size: number): DecodedRecord | null {
    const ev = this.fields(view, buf, at, size);
    if (!ev || ev.type === 'fork' || ev.type === 'exec' || ev.type === 'exit') return ev;
    // The kernel fills them in only when asked; equal to the host's: not in a container.
    const nsPid = view.getUint32(at + O_NS_PID, true);
    const nsTid = view.getUint32(at + O_NS_TID, true);
    if (nsPid !== 0 && (nsPid !== ev.pid || nsTid !== ev.tid) && ev.type !== 'generator-created') {
      ev.nsPid = nsPid;
      ev.nsTid = nsTid;
    }
    if (this.cutInRecord) {
      this.cutInRecord = false;
      if (ev.type !== 'generator-created') ev.truncated = true;
    }
    return ev;
  }

  /** Where the next inline string of the record being decoded starts. */
  private cursor = 0;

  /** String argument i: inline, unread (fetched here), or known by address. */
  private string(view: DataView, buf: Buffer, at: number, i: number, address: number, cacheable: boolean): string {
    const bit = 1 << i;
    const pid = view.getUint32(at + O_PID, true);
    if (view.getUint8(at + O_STRING_MASK) & bit) {
      const start = this.cursor;
      this.cursor += view.getUint16(at + O_STR_LEN + 2 * i, true);
      const truncated = (view.getUint8(at + O_TRUNCATED) & bit) !== 0;
      const v = truncated ? nameText(buf, start, this.cursor, true) : buf.toString('utf8', start, this.cursor);
      if (truncated) this.cutInRecord = true;
      if (cacheable) this.names.set(pid, address, v, truncated);
      return v;
    }
    const unread = (view.getUint8(at + O_UNREAD) & bit) !== 0;
    if (!unread && !cacheable) return '';
    const v = this.names.get(pid, address, unread);
    if (this.names.cutCount !== 0 && this.names.isCut(pid, address)) this.cutInRecord = true;
    return v;
  }

  /** arg[1]: the tuple's size (-1: not read), arg[2]: how many items follow the event's name. */
  private audit(view: DataView, buf: Buffer, at: number, size: number, a0: number, a1: number, a2: number): TraceEvent {
    const pid = view.getUint32(at + O_PID, true);
    const tid = view.getUint32(at + O_TID, true);
    const ts = view.getBigUint64(at + O_TS, true);
    const event = this.string(view, buf, at, 0, a0, false);
    if (a1 < 0) return { type: 'audit', pid, tid, ts, event };
    return {
      type: 'audit',
      pid,
      tid,
      ts,
      event,
      args: auditItems(buf, this.cursor, at + size, a2).items,
      argCount: a1,
    };
  }

  private fields(view: DataView, buf: Buffer, at: number, size: number): DecodedRecord | null {
    const type = view.getUint8(at + O_TYPE);
    const pid = view.getUint32(at + O_PID, true);
    const tid = view.getUint32(at + O_TID, true);
    const ts = view.getBigUint64(at + O_TS, true);
    // Addresses (< 2^47), C ints, longs and Py_ssize_t: exact as doubles.
    const a0 = s64(view, at + O_ARG);
    const a1 = s64(view, at + O_ARG + ARG_SIZE);
    const a2 = s64(view, at + O_ARG + 2 * ARG_SIZE);
    this.cursor = at + HEADER_SIZE;
    const kind = KIND[type];
    switch (kind) {
      case ENTRY:
      case RETURN:
      case LINE: {
        const filename = this.string(view, buf, at, 0, a0, true);
        const fn = this.string(view, buf, at, 1, a1, true);
        return { type: FRAME_TYPES[kind], pid, tid, ts, filename, function: fn, lineno: a2 };
      }
      case GC_START:
        return { type: 'gc-start', pid, tid, ts, generation: a0 };
      case GC_DONE:
        return { type: 'gc-done', pid, tid, ts, collected: a0 };
      case IMPORT_START:
        return { type: 'import-find-load-start', pid, tid, ts, module: this.string(view, buf, at, 0, a0, false) };
      case IMPORT_DONE:
        return {
          type: 'import-find-load-done',
          pid,
          tid,
          ts,
          module: this.string(view, buf, at, 0, a0, false),
          found: a1 !== 0,
        };
      case CREATED:
        return { type: 'generator-created', pid, tid, ts };
      case AUDIT:
        return this.audit(view, buf, at, size, a0, a1, a2);
      case PROCESS:
        return processRecord(type, pid, tid, ts, a0, a1, () => this.string(view, buf, at, 0, a0, false));
      default:
        return null; // a type this decoder does not know: undecodable, counted as lost
    }
  }
}
