/**
 * Finds a CPython process's interpreter: the object that holds _PyRuntime
 * (the executable, or libpython3.X.so), where it is loaded, the exact version,
 * and the layout of that version (layout.ts). Files are read through
 * /proc/PID/root, so a process in another mount namespace works.
 */
import * as fs from 'fs';
import { PytraceError } from '../errors';
import { RawElf, RawSegment, readElf } from '../native';
import { Mapping, resolveProcess, TargetProcess } from '../discovery/proc';
import { DEBUG_OFFSETS_BYTES, DEBUG_OFFSET_VERSIONS, debugOffsetsLayout, parseDebugOffsets } from './debug-offsets';
import { HEADER_VERSIONS, headerLayout, PythonLayout } from './layout';
import { TargetMemory } from './memory';

export interface PythonVersion {
  major: number;
  minor: number;
  /** Unknown only for a 3.9/3.10 build whose version string could not be found. */
  micro?: number;
  /** PY_VERSION_HEX, where the build publishes it (3.11+). */
  hex?: number;
  /** "3.13.5", or "3.9" when the micro version is unknown. */
  text: string;
}

export interface PythonRuntime {
  pid: number;
  /** The object holding the interpreter, as the process names it. */
  object: string;
  /** Added to the object's link-time addresses. */
  loadBias: bigint;
  runtimeAddress: bigint;
  /** PyCode_Type and PyUnicode_Type: an object's ob_type says what it is. */
  codeType: bigint;
  unicodeType: bigint;
  bytesType: bigint;
  version: PythonVersion;
  layout: PythonLayout;
}

const SYMBOLS = [
  '_PyRuntime',
  'Py_Version',
  'PyCode_Type',
  'PyUnicode_Type',
  'PyBytes_Type',
  'Py_IsNone',
  'PyFrame_GetCode',
];

const KNOWN = [...HEADER_VERSIONS, ...DEBUG_OFFSET_VERSIONS].join(', ');

/** The interpreter of process `pid`, its version and its layout. */
export function findRuntime(pid: number): PythonRuntime {
  const proc = resolveProcess(pid);
  const maps = proc.maps;
  const found = interpreterObject(proc);
  if (!found)
    throw new PytraceError(
      'PYTRACE_NOT_PYTHON',
      `Process ${pid} is not a CPython 3.7 or later: neither its executable nor a mapped libpython defines _PyRuntime.`,
    );
  const { path, file, elf } = found;
  const symbol = (name: string) => elf.symbols[name]?.value;
  const loadBias = bias(maps, path, elf);
  if (loadBias === undefined)
    throw new PytraceError(
      'PYTRACE_NOT_PYTHON',
      `Process ${pid} maps ${path} in a way pytrace cannot place (no segment at its file offset).`,
    );
  const at = (name: string): bigint => {
    const v = symbol(name);
    if (v === undefined)
      throw new PytraceError(
        'PYTRACE_UNKNOWN_LAYOUT',
        `${path} defines _PyRuntime but not ${name}: not a CPython build pytrace knows.`,
      );
    return v + loadBias;
  };
  const memory = new TargetMemory(pid);
  try {
    const runtimeAddress = at('_PyRuntime');
    const version = readVersion(memory, path, file, elf, loadBias, pid);
    return {
      pid,
      object: path,
      loadBias,
      runtimeAddress,
      codeType: at('PyCode_Type'),
      unicodeType: at('PyUnicode_Type'),
      bytesType: at('PyBytes_Type'),
      version,
      layout: layoutOf(memory, version, runtimeAddress),
    };
  } finally {
    memory.close();
  }
}

/**
 * The executable if it defines _PyRuntime (a static build), else a mapped
 * libpython; read where the process has it (its root, or the mapping itself
 * when an upgrade replaced the file).
 */
function interpreterObject(proc: TargetProcess): { path: string; file: string; elf: RawElf } | undefined {
  const candidates = proc.objects.filter((o) => o.path === proc.exe || /\/libpython3\.\d+[^/]*\.so/.test(o.path));
  for (const o of candidates) {
    let elf: RawElf;
    try {
      elf = readElf(o.openPath, SYMBOLS);
    } catch {
      continue; // not an ELF file we can read: not the interpreter
    }
    if (elf.symbols._PyRuntime) return { path: o.path, file: o.openPath, elf };
  }
  return undefined;
}

/**
 * Load bias of `path` in the process: where its first loadable segment was
 * mapped minus where it was linked (0 for a non-PIE executable).
 */
function bias(maps: Mapping[], path: string, elf: RawElf): bigint | undefined {
  const first: RawSegment | undefined = [...elf.segments].sort((a, b) => (a.vaddr < b.vaddr ? -1 : 1))[0];
  if (!first) return undefined;
  const page = 0x1000n;
  const fileStart = first.offset - (first.offset % page);
  const mapping = maps.find((m) => m.path === path && m.offset === fileStart);
  if (!mapping) return undefined;
  return mapping.start - (first.vaddr - (first.vaddr % page));
}

function fromHex(hex: number): PythonVersion {
  const major = (hex >>> 24) & 0xff;
  const minor = (hex >>> 16) & 0xff;
  const micro = (hex >>> 8) & 0xff;
  const level = (hex >>> 4) & 0xf;
  const serial = hex & 0xf;
  const suffix = level === 0xf ? '' : `${{ 0xa: 'a', 0xb: 'b', 0xc: 'rc' }[level] ?? '?'}${serial}`;
  return { major, minor, micro, hex, text: `${major}.${minor}.${micro}${suffix}` };
}

/**
 * 3.11+: Py_Version, read from the target (the interpreter's PY_VERSION_HEX).
 * 3.9/3.10 have no such symbol: the minor version is told by the API the
 * build exports (Py_IsNone appeared in 3.10, PyFrame_GetCode in 3.9), the
 * micro version by the PY_VERSION string among its read-only data, when
 * exactly one version string of that minor is there.
 */
function readVersion(
  memory: TargetMemory,
  path: string,
  file: string,
  elf: RawElf,
  loadBias: bigint,
  pid: number,
): PythonVersion {
  const pyVersion = elf.symbols.Py_Version;
  if (pyVersion) {
    const version = fromHex(Number(memory.u64(pyVersion.value + loadBias) & 0xffffffffn));
    if (version.major !== 3 || version.minor < 11)
      throw new PytraceError(
        'PYTRACE_UNKNOWN_LAYOUT',
        `${path} in process ${pid} says it is Python ${version.text}: not a version pytrace can read.`,
      );
    return version;
  }
  const minor = elf.symbols.Py_IsNone ? 10 : elf.symbols.PyFrame_GetCode ? 9 : undefined;
  const strings = versionStrings(file, elf);
  if (minor === undefined) {
    const named = strings.size === 1 ? `CPython ${[...strings][0]}` : 'a CPython older than 3.9';
    throw new PytraceError(
      'PYTRACE_UNKNOWN_LAYOUT',
      `${path} in process ${pid} is ${named}: pytrace knows the frame layouts of ${KNOWN}.`,
    );
  }
  const ours = [...strings].filter((v) => v.startsWith(`3.${minor}.`));
  const micro = ours.length === 1 ? Number(ours[0].split('.')[2]) : undefined;
  return { major: 3, minor, micro, text: micro === undefined ? `3.${minor}` : `3.${minor}.${micro}` };
}

/** The distinct "3.X.Y" strings (PY_VERSION's form) in the object's read-only data. */
function versionStrings(file: string, elf: RawElf): Set<string> {
  const fd = fs.openSync(file, 'r');
  try {
    const seen = new Set<string>();
    // Read-only, not executable: where .rodata is.
    for (const s of elf.segments.filter((s) => (s.flags & 7) === 4)) {
      const b = Buffer.alloc(Number(s.filesz));
      fs.readSync(fd, b, 0, b.length, Number(s.offset));
      // The linker may merge PY_VERSION into a longer string ending with it: no start anchor.
      for (const m of b.toString('latin1').matchAll(/(?<![0-9.])(3\.\d{1,2}\.\d{1,2})(?:(?:a|b|rc)\d{1,2})?\+?\0/g))
        seen.add(m[1]);
    }
    return seen;
  } finally {
    fs.closeSync(fd);
  }
}

function layoutOf(memory: TargetMemory, version: PythonVersion, runtimeAddress: bigint): PythonLayout {
  if (version.minor >= 13) {
    const offsets = parseDebugOffsets(version.minor, memory.read(runtimeAddress, DEBUG_OFFSETS_BYTES));
    if (version.hex !== undefined && offsets.version !== version.hex)
      throw new PytraceError(
        'PYTRACE_UNKNOWN_LAYOUT',
        `Python ${version.text}'s debug offsets are for version 0x${offsets.version.toString(16)}, not 0x${version.hex.toString(16)}: ` +
          'not a layout pytrace can read.',
      );
    if (offsets.freeThreaded)
      throw new PytraceError(
        'PYTRACE_UNKNOWN_LAYOUT',
        `Python ${version.text} is a free-threaded build (no GIL): pytrace does not read its frames yet.`,
      );
    return debugOffsetsLayout(version.minor, offsets);
  }
  const layout = headerLayout(version.minor);
  if (!layout)
    throw new PytraceError(
      'PYTRACE_UNKNOWN_LAYOUT',
      `Python ${version.text}'s frame layout is unknown to pytrace (it knows ${KNOWN}).`,
    );
  return layout;
}
