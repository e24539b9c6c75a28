/**
 * Marker discovery: every SDT marker location of a binary or a live process.
 *
 * The world's markers are not all ours to judge: a library loaded into the
 * Python (libz, libc, a vendor's) may carry notes pytrace cannot read. Those
 * are skipped with a warning. Only problems with the Python's own markers
 * (provider "python", or a file that is the interpreter) are errors.
 */
import { isNotElf, readElfFile } from './elf';
import { ErrorCode, PytraceError } from '../errors';
import { PROVIDER } from '../markers';
import { RawElf, RawSegment } from '../native';
import { Arch, ArgOperand, parseOperands } from './operands';
import { addressOfFileOffset, MappedObject, resolveProcess, TargetProcess } from './proc';

export interface ProbeLocation {
  provider: string;
  name: string;
  /** The object holding the marker, as the target sees it. */
  path: string;
  /** Where this process opens it (through /proc/PID/root, or /proc/PID/map_files for a replaced file). */
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

/** A marker, or an object's markers, left out of discovery, and why. */
export interface DiscoveryWarning {
  code: ErrorCode;
  /** The object, as the target names it. */
  path: string;
  /** The marker, when the note was readable enough to tell. */
  provider?: string;
  name?: string;
  message: string;
}

export interface Discovery {
  locations: ProbeLocation[];
  warnings: DiscoveryWarning[];
}

/** An interpreter's file name: python3.11, libpython3.11.so.1.0 (the version, when named). */
export const PYTHON_OBJECT = /(?:^|\/)(?:lib)?python(\d+\.\d+)?[^/]*$/;

const EM_X86_64 = 62;
const EM_AARCH64 = 183;

export function fileOffset(segments: RawSegment[], vaddr: bigint): bigint | null {
  for (const s of segments) if (vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz) return vaddr - s.vaddr + s.offset;
  return null;
}

const DAMAGED = 'The file is damaged: reinstall it, or trace another build.';

/**
 * The marker locations of one ELF file; `path` is how the target names it.
 * `read`: the file's readElf(), when the caller already has it.
 */
export function discoverFile(openPath: string, path: string = openPath, read?: RawElf): Discovery {
  let elf = read ?? readElfFile(openPath);
  const warnings: DiscoveryWarning[] = [];
  // Whether a problem whose provider is unknown may be the Python's own.
  const holdsPython = PYTHON_OBJECT.test(path) || elf.notes.some((n) => n.provider === PROVIDER);
  const problem = (code: ErrorCode, message: string, provider?: string, name?: string) => {
    if (provider !== undefined ? provider === PROVIDER : holdsPython)
      throw new PytraceError(code, code === 'PYTRACE_BAD_ELF' ? `${message} ${DAMAGED}` : message);
    const skipped = name !== undefined ? 'Skipped: not a Python marker.' : "Skipped: not the Python's markers.";
    warnings.push({
      code,
      path,
      ...(provider !== undefined && { provider }),
      ...(name !== undefined && { name }),
      message: `${message} ${skipped}`,
    });
  };
  for (const p of elf.problems) problem('PYTRACE_BAD_ELF', `${path}: ${p.message}.`, p.provider);
  if (elf.notes.length === 0) return { locations: [], warnings };
  const arch: Arch = elf.machine === EM_AARCH64 ? 'aarch64' : 'x86_64';
  if (elf.machine !== EM_X86_64 && elf.machine !== EM_AARCH64)
    throw new PytraceError('PYTRACE_BAD_ELF', `${path}: ELF machine ${elf.machine} is neither x86-64 nor aarch64.`);

  const parsed = elf.notes.map((n) => {
    try {
      return parseOperands(n.args, arch);
    } catch (e) {
      if (!(e instanceof PytraceError)) throw e;
      problem(e.code, `${path}: marker ${n.provider}:${n.name}: ${e.message}`, n.provider, n.name);
      return null;
    }
  });
  const wanted = new Set<string>();
  for (const args of parsed)
    for (const a of args ?? []) if (a.operand.form === 'rip-relative') wanted.add(a.operand.symbol);
  if (wanted.size) elf = readElfFile(openPath, [...wanted]);

  const shared = elf.shared && !elf.interpreter;
  const baseSection = elf.sections['.stapsdt.base'];
  const locations: ProbeLocation[] = [];
  elf.notes.forEach((n, i) => {
    const args = parsed[i];
    if (!args) return;
    // Prelink moves the sections but not the (unallocated) notes: the distance
    // between the note's base and the real .stapsdt.base applies to both.
    const adjust = baseSection && n.base ? baseSection.addr - n.base : 0n;
    const address = n.pc + adjust;
    const semaphore = n.semaphore ? n.semaphore + adjust : null;
    const offset = fileOffset(elf.segments, address);
    const semaphoreOffset = semaphore === null ? null : fileOffset(elf.segments, semaphore);
    const where = `${path}: marker ${n.provider}:${n.name}`;
    if (offset === null)
      return problem(
        'PYTRACE_BAD_ELF',
        `${where} at 0x${address.toString(16)} is in no loadable segment.`,
        n.provider,
        n.name,
      );
    if (semaphore !== null && semaphoreOffset === null)
      return problem(
        'PYTRACE_BAD_ELF',
        `${where}: its semaphore at 0x${semaphore.toString(16)} is in no loadable segment.`,
        n.provider,
        n.name,
      );
    // A symbol the ELF does not export (glibc 2.41's libc:memory_mallopt_* use
    // its local mp_) stays unresolved: only attaching to that marker fails. A
    // Python marker that cannot be fetched is a broken build: an error now.
    const symbols: Record<string, bigint> = {};
    for (const a of args) {
      if (a.operand.form !== 'rip-relative') continue;
      const s = elf.symbols[a.operand.symbol];
      if (s) symbols[a.operand.symbol] = s.value;
      else if (n.provider === PROVIDER)
        return problem(
          'PYTRACE_BAD_OPERAND',
          `${where} refers to symbol ${a.operand.symbol}, which the ELF does not define. ${DAMAGED}`,
          n.provider,
          n.name,
        );
    }
    locations.push({
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
      semaphoreOffset,
      args,
      argsText: n.args,
      symbols,
      arch,
    });
  });
  return { locations, warnings };
}

/** An object of the process that cannot be read at all: an error for the interpreter, else a warning. */
function unreadable(pid: number, obj: MappedObject, e: unknown): DiscoveryWarning {
  if (!(e instanceof PytraceError)) throw e;
  if (obj.replaced && e.code === 'PYTRACE_PERMISSION')
    throw new PytraceError(
      'PYTRACE_PERMISSION',
      `${obj.path} was deleted or replaced (a package upgrade?) since process ${pid} mapped it: reading the mapped file through /proc/${pid}/map_files needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE. Run as root, or restart the process.`,
    );
  if (e.code === 'PYTRACE_PERMISSION' || PYTHON_OBJECT.test(obj.path)) throw e;
  return { code: e.code, path: obj.path, message: `${e.message} Skipped: not the Python's markers.` };
}

/** The marker locations of every object mapped into a process. */
export function discoverProcess(proc: TargetProcess): Discovery {
  const out: Discovery = { locations: [], warnings: [] };
  for (const obj of proc.objects) {
    let elf: RawElf;
    try {
      elf = readElfFile(obj.openPath);
    } catch (e) {
      if (!isNotElf(e)) out.warnings.push(unreadable(proc.pid, obj, e));
      continue;
    }
    if (!elf.notes.length && !elf.problems.length) continue;
    const found = discoverFile(obj.openPath, obj.path, elf);
    for (const p of found.locations) {
      if (p.semaphoreOffset !== null) p.semaphoreAddress = addressOfFileOffset(proc.maps, obj.path, p.semaphoreOffset);
      out.locations.push(p);
    }
    out.warnings.push(...found.warnings);
  }
  return out;
}

/** Warnings of probes() go to Node's process 'warning' event (printed on stderr unless handled). */
function emitWarnings(found: Discovery): ProbeLocation[] {
  for (const w of found.warnings) process.emitWarning(w.message, { type: 'PytraceWarning', code: w.code });
  return found.locations;
}

/** The marker locations of one ELF file; skipped markers are emitted as process warnings. */
export function probesOfFile(openPath: string, path: string = openPath): ProbeLocation[] {
  return emitWarnings(discoverFile(openPath, path));
}

/** The marker locations of every object mapped into process `pid`; skipped markers are emitted as process warnings. */
export function probesOfProcess(pid: number): ProbeLocation[] {
  return emitWarnings(discoverProcess(resolveProcess(pid)));
}

/** probes(pid) for a process, probes(path) for a binary or library. */
export function probes(target: number | string): ProbeLocation[] {
  if (typeof target === 'number' || /^\d+$/.test(target)) return probesOfProcess(Number(target));
  return probesOfFile(target);
}
