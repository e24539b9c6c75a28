/**
 * CPython 3.15 fires function__entry when a call of a generator (or
 * coroutine) function only creates the generator, and no return: that frame
 * leaves through RETURN_GENERATOR, which fires nothing. RETURN_GENERATOR calls
 * _Py_MakeCoro right after the entry, with no marker in between; a uprobe
 * there tells pytrace, which then adds the missing return, so entries and
 * returns pair per thread and depths stay right.
 */
import { FrameEvent } from '../markers';
import { layout, NativeTarget, readElf } from '../native';
import { ProbeLocation, fileOffset } from '../discovery/probes';
import { minorVersion } from '../discovery/describe';

/** Record type of the _Py_MakeCoro uprobe: not a marker, so past enum pt_event_type's markers. */
export const GENERATOR_CREATED = layout.eventType.PT_EV_GENERATOR_CREATED;

export interface GeneratorCreated {
  type: 'generator-created';
  pid: number;
  tid: number;
  ts: bigint;
}

const MAKE_CORO = '_Py_MakeCoro';

/** CPython 3.15 and later (PR 142397 restored the call markers that way). */
export function entryAtCreation(version: string | null): boolean {
  return (minorVersion(version) ?? 0) >= 15;
}

/** The uprobe on _Py_MakeCoro in the object holding `loc`; null if it does not export it. */
export function generatorCreationTarget(loc: ProbeLocation): NativeTarget | null {
  const elf = readElf(loc.openPath, [MAKE_CORO]);
  const sym = elf.symbols[MAKE_CORO];
  const offset = sym && fileOffset(elf.segments, sym.value);
  if (offset === null || offset === undefined) return null;
  return {
    path: loc.openPath,
    offset: Number(offset),
    refCtrOffset: 0,
    program: 'event',
    spec: { type: GENERATOR_CREATED, args: [] },
  };
}

/** Turns creation records into the returns CPython does not fire. */
export class CreationReturns {
  /** Per thread: its latest entry, until a return follows it. */
  private entered = new Map<number, FrameEvent>();

  /** Notes an entry or return. */
  see(ev: FrameEvent): void {
    if (ev.type === 'function-entry') this.entered.set(ev.tid, ev);
    else if (ev.type === 'function-return') this.entered.delete(ev.tid);
  }

  /**
   * The return closing the creating frame, or null when its entry was not
   * seen (it fired before the trace began). Same-thread records arrive in
   * order on the ring buffer; the perf buffer may reorder a thread that moved
   * between CPUs in that instant.
   */
  returnFor(rec: GeneratorCreated): FrameEvent | null {
    const entry = this.entered.get(rec.tid);
    if (!entry) return null;
    this.entered.delete(rec.tid);
    const { nsPid, nsTid } = entry;
    return {
      type: 'function-return',
      pid: rec.pid,
      tid: rec.tid,
      ...(nsPid !== undefined && { nsPid }),
      ...(nsTid !== undefined && { nsTid }),
      ts: rec.ts,
      filename: entry.filename,
      function: entry.function,
      lineno: entry.lineno,
      generatorCreated: true,
    };
  }

  forget(): void {
    this.entered.clear();
  }

  /** A process exited or exec'd: its threads' entries are void. */
  forgetProcess(pid: number): void {
    for (const [tid, ev] of this.entered) if (ev.pid === pid) this.entered.delete(tid);
  }
}
