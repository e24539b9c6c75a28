/** Marker discovery: every SDT marker location of a binary or a live process. */
import * as fs from 'fs';
import { PytraceError } from '../errors';
import { readElf, RawElf, RawSegment } from '../native';
import { Arch, ArgOperand, parseOperands } from './operands';
import { addressOfFileOffset, assertProcess, mappedObjects, readMaps, rootedPath } from './proc';

export interface ProbeLocation {
  provider: string;
  name: string;
  /** The object holding the marker, as the target sees it. */
  path: string;
  /** Where this process opens it (through /proc/PID/root for a process). */
  openPath: string;
  /** True for a shared object (libpython in --enable-shared builds). */
  shared: boolean;
  /** Virtual address of the location, after the .stapsdt.base adjustment. */
  address: bigint;
  /** File offset of the location: where the uprobe goes. */
  offset: bigint;
  /** The .stapsdt.base the note was written for, and the adjustment applied. */
  base: bigint;
  baseAdjustment: bigint;
  /** Semaphore virtual address and file offset; null when the marker has none. */
  semaphore: bigint | null;
  semaphoreOffset: bigint | null;
  /** For a process: the semaphore's address in its memory, where mapped. */
  semaphoreAddress?: bigint;
  args: ArgOperand[];
  argsText: string;
  /** Symbol addresses that rip-relative operands refer to (those the ELF defines). */
  symbols: Record<string, bigint>;
  arch: Arch;
}

const EM_X86_64 = 62;
const EM_AARCH64 = 183;

export function fileOffset(segments: RawSegment[], vaddr: bigint): bigint | null {
  for (const s of segments) if (vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz) return vaddr - s.vaddr + s.offset;
  return null;
}

const PT_INTERP = 3;

/** A PIE executable is ET_DYN like a library; unlike one, it names an interpreter. */
function hasInterpreter(openPath: string): boolean {
  const fd = fs.openSync(openPath, 'r');
  try {
    const read = (at: number, n: number) => {
      const b = Buffer.alloc(n);
      fs.readSync(fd, b, 0, n, at);
      return b;
    };
    const h = read(0, 64);
    const is64 = h[4] === 2;
    const phoff = is64 ? Number(h.readBigUInt64LE(32)) : h.readUInt32LE(28);
    const [size, count] = is64 ? [h.readUInt16LE(54), h.readUInt16LE(56)] : [h.readUInt16LE(42), h.readUInt16LE(44)];
    const ph = read(phoff, size * count);
    for (let i = 0; i < count; i++) if (ph.readUInt32LE(i * size) === PT_INTERP) return true;
    return false;
  } finally {
    fs.closeSync(fd);
  }
}

function readElfOrNull(openPath: string): RawElf | null {
  try {
    return readElf(openPath);
  } catch {
    return null;
  }
}

/**
 * The marker locations of one ELF file; `path` is how the target names it.
 * `read`: the file's readElf(), when the caller already has it.
 */
export function probesOfFile(openPath: string, path: string = openPath, read?: RawElf): ProbeLocation[] {
  if (!read && !fs.existsSync(openPath)) throw new PytraceError('PYTRACE_BAD_ELF', `${openPath}: no such file.`);
  let elf = read ?? readElf(openPath);
  if (elf.notes.length === 0) return [];
  const arch: Arch = elf.machine === EM_AARCH64 ? 'aarch64' : 'x86_64';
  if (elf.machine !== EM_X86_64 && elf.machine !== EM_AARCH64)
    throw new PytraceError('PYTRACE_BAD_ELF', `${path}: ELF machine ${elf.machine} is neither x86-64 nor aarch64.`);
  const parsed = elf.notes.map((n) => parseOperands(n.args, arch));
  const wanted = new Set<string>();
  for (const args of parsed) for (const a of args) if (a.operand.form === 'rip-relative') wanted.add(a.operand.symbol);
  if (wanted.size) elf = readElf(openPath, [...wanted]);

  const shared = elf.shared && !hasInterpreter(openPath);
  const baseSection = elf.sections['.stapsdt.base'];
  return elf.notes.map((n, i) => {
    // Prelink moves the sections but not the (unallocated) notes: the distance
    // between the note's base and the real .stapsdt.base applies to both.
    const adjust = baseSection && n.base ? baseSection.addr - n.base : 0n;
    const address = n.pc + adjust;
    const semaphore = n.semaphore ? n.semaphore + adjust : null;
    const offset = fileOffset(elf.segments, address);
    if (offset === null)
      throw new PytraceError('PYTRACE_BAD_ELF', `${path}: marker ${n.provider}:${n.name} at 0x${address.toString(16)} is in no loadable segment.`);
    // A symbol the ELF does not export (glibc 2.41's libc:memory_mallopt_* use
    // its local mp_) stays unresolved: only attaching to that marker fails.
    const symbols: Record<string, bigint> = {};
    for (const a of parsed[i]) {
      if (a.operand.form !== 'rip-relative') continue;
      const s = elf.symbols[a.operand.symbol];
      if (s) symbols[a.operand.symbol] = s.value;
    }
    return {
      provider: n.provider,
      name: n.name,
      path,
      openPath,
      shared,
      address,
      offset,
      base: n.base,
      baseAdjustment: adjust,
      semaphore,
      semaphoreOffset: semaphore === null ? null : fileOffset(elf.segments, semaphore),
      args: parsed[i],
      argsText: n.args,
      symbols,
      arch,
    };
  });
}

/** The marker locations of every object mapped into a process. */
export function probesOfProcess(pid: number): ProbeLocation[] {
  assertProcess(pid);
  const maps = readMaps(pid);
  const out: ProbeLocation[] = [];
  for (const path of mappedObjects(pid)) {
    const openPath = rootedPath(pid, path);
    const elf = readElfOrNull(openPath); // a mapped file may not be an ELF
    if (!elf?.notes.length) continue;
    for (const p of probesOfFile(openPath, path, elf)) {
      if (p.semaphoreOffset !== null) p.semaphoreAddress = addressOfFileOffset(maps, path, p.semaphoreOffset);
      out.push(p);
    }
  }
  return out;
}

/** probes(pid) for a process, probes(path) for a binary or library. */
export function probes(target: number | string): ProbeLocation[] {
  if (typeof target === 'number' || /^\d+$/.test(target)) return probesOfProcess(Number(target));
  return probesOfFile(target);
}
