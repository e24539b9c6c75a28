/** Turns a marker location into what the native side attaches: path, offsets, argument spec. */
import { PytraceError } from '../errors';
import { MarkerInfo } from '../markers';
import { layout, NativeArgSpec, NativeTarget } from '../native';
import { ArgOperand, registerOffset } from '../discovery/operands';
import { readElf } from '../native';
import { ProbeLocation, fileOffset } from '../discovery/probes';

/** enum pt_arg_kind in native/bpf/usdt_event.h */
const A = layout.argKind;
const KIND = {
  const: A.PT_ARG_CONST,
  reg: A.PT_ARG_REG,
  regDeref: A.PT_ARG_REG_DEREF,
  sibDeref: A.PT_ARG_SIB_DEREF,
  ipDeref: A.PT_ARG_IP_DEREF,
};

function regOff(loc: ProbeLocation, register: string): number {
  const off = registerOffset(loc.arch, register);
  if (off === undefined || off < 0)
    throw new PytraceError(
      'PYTRACE_BAD_OPERAND',
      `${loc.path}: ${loc.name} uses register ${register}, which cannot be read.`,
    );
  return off;
}

export function argSpec(loc: ProbeLocation, arg: ArgOperand, isString: boolean): NativeArgSpec {
  const base = { regOffset: 0, indexOffset: 0, scale: 1, size: arg.size, signed: arg.signed, string: isString };
  const o = arg.operand;
  switch (o.form) {
    case 'constant':
      return { ...base, kind: KIND.const, value: o.value };
    case 'register':
      return { ...base, kind: KIND.reg, value: 0, regOffset: regOff(loc, o.register) };
    case 'memory':
      return { ...base, kind: KIND.regDeref, value: o.offset, regOffset: regOff(loc, o.base) };
    case 'indexed':
      return {
        ...base,
        kind: KIND.sibDeref,
        value: o.offset,
        regOffset: regOff(loc, o.base),
        indexOffset: regOff(loc, o.index),
        scale: o.scale,
      };
    case 'rip-relative':
      if (loc.symbols[o.symbol] === undefined)
        throw new PytraceError(
          'PYTRACE_BAD_OPERAND',
          `${loc.path}: marker ${loc.name} refers to symbol ${o.symbol}, which the ELF does not define.`,
        );
      // At the probe the instruction pointer is the location's runtime address:
      // the symbol is that far from it, wherever the object is loaded.
      return { ...base, kind: KIND.ipDeref, value: Number(loc.symbols[o.symbol] - loc.address) + o.offset };
  }
}

export function uprobeTarget(loc: ProbeLocation, marker: MarkerInfo): NativeTarget {
  if (loc.arch !== 'x86_64')
    throw new PytraceError(
      'PYTRACE_KERNEL_UNSUPPORTED',
      `Attaching on ${loc.arch} is not supported yet; listing its markers is.`,
    );
  const args = marker.args.slice(0, loc.args.length).map((kind, i) =>
    // An argument not fetched (audit's tuple) keeps its position as a constant 0.
    kind === null
      ? argSpec(loc, { ...loc.args[i], operand: { form: 'constant', value: 0 } }, false)
      : argSpec(loc, loc.args[i], kind === 'string'),
  );
  return {
    path: loc.openPath,
    offset: Number(loc.offset),
    refCtrOffset: loc.semaphoreOffset === null ? 0 : Number(loc.semaphoreOffset),
    program: 'event',
    spec: { type: marker.type, args },
  };
}

/** The interpreter's code object constructor: 3.11 and later, then 3.8-3.10. */
const CODE_CONSTRUCTORS = ['_PyCode_New', 'PyCode_NewWithPosOnlyArgs'];

/**
 * A uprobe on the code object constructor of the object holding `loc`, which
 * the name cache needs (see native/bpf/usdt_event.bpf.c); null if the object
 * does not export it (the tracer then reads names at every event).
 */
export function codeCreationTarget(loc: ProbeLocation): NativeTarget | null {
  const elf = readElf(loc.openPath, CODE_CONSTRUCTORS);
  for (const name of CODE_CONSTRUCTORS) {
    const sym = elf.symbols[name];
    const offset = sym && fileOffset(elf.segments, sym.value);
    if (offset !== null && offset !== undefined)
      return { path: loc.openPath, offset: Number(offset), refCtrOffset: 0, program: 'code-created' };
  }
  return null;
}

/**
 * Raises `loc`'s semaphore without a uprobe on `loc` itself: a uprobe whose
 * reference counter is that semaphore, placed where the program almost never
 * runs (.fini: once, at exit). The kernel raises the semaphore while it is
 * attached and lowers it when the link goes, even if the tracer is killed.
 */
export function semaphoreAnchor(loc: ProbeLocation): NativeTarget {
  if (loc.semaphoreOffset === null)
    throw new PytraceError('PYTRACE_ATTACH_FAILED', `${loc.path}: ${loc.name} has no semaphore to raise.`);
  const elf = readElf(loc.openPath);
  const section = elf.sections['.fini'] ?? elf.sections['.text'];
  const offset = section && fileOffset(elf.segments, section.addr);
  if (offset === null || offset === undefined)
    throw new PytraceError(
      'PYTRACE_ATTACH_FAILED',
      `${loc.path}: no .fini or .text section to anchor the ${loc.name} semaphore to.`,
    );
  return { path: loc.openPath, offset: Number(offset), refCtrOffset: Number(loc.semaphoreOffset), program: 'anchor' };
}

const AUDIT_SYMBOLS = ['PyUnicode_Type', 'PyBytes_Type', 'PyLong_Type', 'PyTuple_Type', '_Py_NoneStruct'];

/**
 * What the kernel needs to read an audit event's argument tuple: the type
 * objects' addresses (relative to the location, so any load address works)
 * and the object layouts of `version`. Undefined when the build does not tell.
 */
export function auditLayout(loc: ProbeLocation, version: string | null): NativeTarget['audit'] {
  const minor = version && /^3\.(\d+)$/.exec(version) ? Number(version.split('.')[1]) : null;
  if (minor === null || minor < 8) return undefined;
  const elf = readElf(loc.openPath, AUDIT_SYMBOLS);
  const rel = (name: string) => {
    const s = elf.symbols[name];
    return s === undefined ? undefined : Number(s.value - loc.address);
  };
  const [strType, bytesType, longType, tupleType, none] = AUDIT_SYMBOLS.map(rel);
  if (
    strType === undefined ||
    bytesType === undefined ||
    longType === undefined ||
    tupleType === undefined ||
    none === undefined
  )
    return undefined;
  // 3.12 dropped the wstr pointer (and wstr_length) from str objects and
  // moved an int's sign and size into lv_tag; 3.14 caches a tuple's hash before its items.
  const old = minor <= 11;
  return {
    strType,
    bytesType,
    longType,
    tupleType,
    none,
    asciiData: old ? 48 : 40,
    compactData: old ? 72 : 56,
    longTag: !old,
    tupleItems: minor >= 14 ? 32 : 24,
  };
}
