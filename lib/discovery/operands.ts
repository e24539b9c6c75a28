/**
 * SDT argument operands, as sys/sdt.h writes them into a note ("-4@-228(%rbp)",
 * "8@x20", "-8@[x29, 184]") and as the BPF program fetches them.
 *
 * Parsed here rather than by libbpf: the system libbpf (1.1) rejects
 * base+index*scale and symbol operands, and exposes no parser of its own.
 */
import { PytraceError } from '../errors';
import { layout } from '../native';

export type Operand =
  | { form: 'register'; register: string }
  | { form: 'memory'; base: string; offset: number }
  | { form: 'indexed'; base: string; index: string; scale: number; offset: number }
  | { form: 'constant'; value: number }
  | { form: 'rip-relative'; symbol: string; offset: number };

export interface ArgOperand {
  /** Bytes read: 1, 2, 4 or 8. */
  size: number;
  signed: boolean;
  float: boolean;
  operand: Operand;
  /** The operand as written in the note. */
  text: string;
}

export type Arch = 'x86_64' | 'aarch64';

const REGS = layout.registers;

/** Offsets in the user-visible struct pt_regs (from the addon), by register and its narrower names. */
const X86_64_REGS: Record<string, number> = (() => {
  const table: Record<string, number> = {};
  const put = (reg: string, ...names: string[]) => [reg, ...names].forEach((n) => (table[n] = REGS.x86_64[reg]));
  for (const r of ['r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15']) put(r, `${r}d`, `${r}w`, `${r}b`);
  put('rbp', 'ebp', 'bp', 'bpl');
  put('rbx', 'ebx', 'bx', 'bl');
  put('rax', 'eax', 'ax', 'al');
  put('rcx', 'ecx', 'cx', 'cl');
  put('rdx', 'edx', 'dx', 'dl');
  put('rsi', 'esi', 'si', 'sil');
  put('rdi', 'edi', 'di', 'dil');
  put('rip', 'eip');
  put('rsp', 'esp', 'sp', 'spl');
  return table;
})();

/** struct user_pt_regs: regs[31] (x0-x30, w0-w30), sp, pc; the zero register cannot be read. */
const AARCH64_REGS: Record<string, number> = (() => {
  const table: Record<string, number> = { ...REGS.aarch64, xzr: -1, wzr: -1 };
  for (let i = 0; i <= 30; i++) table[`w${i}`] = REGS.aarch64[`x${i}`];
  return table;
})();

export function registerOffset(arch: Arch, register: string): number | undefined {
  return (arch === 'x86_64' ? X86_64_REGS : AARCH64_REGS)[register];
}

function bad(text: string, why: string): never {
  throw new PytraceError('PYTRACE_BAD_OPERAND', `Cannot parse the marker argument "${text}": ${why}.`);
}

function parseNumber(s: string, text: string): number {
  const m = /^([+-])?(0x[0-9a-f]+|\d+)$/i.exec(s.trim());
  if (!m) bad(text, `"${s}" is not a number`);
  const v = Number(m[2]);
  return m[1] === '-' ? -v : v;
}

function reg(arch: Arch, name: string, text: string): string {
  const r = name.trim().replace(/^%/, '');
  if (registerOffset(arch, r) === undefined) bad(text, `unknown ${arch} register "${name}"`);
  return r;
}

function parseX86(spec: string, text: string): Operand {
  const arch: Arch = 'x86_64';
  if (spec.startsWith('$')) return { form: 'constant', value: parseNumber(spec.slice(1), text) };
  if (spec.startsWith('%')) return { form: 'register', register: reg(arch, spec, text) };
  const m = /^([^(]*)\(([^)]*)\)$/.exec(spec);
  if (!m) bad(text, 'expected $const, %reg, off(%reg) or off(%base,%index,scale)');
  const [disp, inner] = [m[1].trim(), m[2].split(',').map((s) => s.trim())];
  if (inner.length === 1 && inner[0] === '%rip') {
    // sym(%rip), sym+N(%rip), or N+sym(%rip) as gcc writes a field of a
    // global struct: the symbol's address, resolved from the ELF.
    const sm = /^(?:([+-]?(?:0x[0-9a-f]+|\d+))\s*\+\s*)?([A-Za-z_.$][\w.$@]*)\s*(?:([+-])\s*(0x[0-9a-f]+|\d+))?$/i.exec(
      disp,
    );
    if (!sm) bad(text, 'a %rip operand must name a symbol');
    const lead = sm[1] ? parseNumber(sm[1], text) : 0;
    const off = sm[4] ? Number(sm[4]) * (sm[3] === '-' ? -1 : 1) : 0;
    return { form: 'rip-relative', symbol: sm[2], offset: lead + off };
  }
  const offset = disp === '' ? 0 : parseNumber(disp, text);
  if (inner.length === 1) return { form: 'memory', base: reg(arch, inner[0], text), offset };
  if (inner.length === 2 || inner.length === 3) {
    const scale = inner.length === 3 ? parseNumber(inner[2], text) : 1;
    if (![1, 2, 4, 8].includes(scale)) bad(text, `scale ${scale} is not 1, 2, 4 or 8`);
    return { form: 'indexed', base: reg(arch, inner[0], text), index: reg(arch, inner[1], text), scale, offset };
  }
  return bad(text, 'too many parts in the memory operand');
}

function parseAarch64(spec: string, text: string): Operand {
  const arch: Arch = 'aarch64';
  if (/^-?(0x[0-9a-f]+|\d+)$/i.test(spec)) return { form: 'constant', value: parseNumber(spec, text) };
  const m = /^\[([^\]]*)\]$/.exec(spec);
  if (m) {
    const parts = m[1].split(',').map((s) => s.trim());
    if (parts.length === 1) return { form: 'memory', base: reg(arch, parts[0], text), offset: 0 };
    if (parts.length === 2 && /^#?-?(0x[0-9a-f]+|\d+)$/i.test(parts[1]))
      return { form: 'memory', base: reg(arch, parts[0], text), offset: parseNumber(parts[1].replace('#', ''), text) };
    if (parts.length === 2)
      return {
        form: 'indexed',
        base: reg(arch, parts[0], text),
        index: reg(arch, parts[1], text),
        scale: 1,
        offset: 0,
      };
    bad(text, 'expected [reg], [reg, off] or [reg, reg]');
  }
  return { form: 'register', register: reg(arch, spec, text) };
}

/** Parses one operand, "size@location"; the size's sign means signed, "f" a float. */
export function parseOperand(text: string, arch: Arch = 'x86_64'): ArgOperand {
  const at = text.indexOf('@');
  let size = 8;
  let signed = false;
  let float = false;
  let location = text;
  if (at >= 0) {
    const sm = /^(-?)(\d+)(f?)$/.exec(text.slice(0, at));
    if (!sm) bad(text, 'the size before "@" must be [-]1, 2, 4 or 8, optionally followed by f');
    signed = sm[1] === '-';
    size = Number(sm[2]);
    float = sm[3] === 'f';
    location = text.slice(at + 1);
    if (![1, 2, 4, 8].includes(size)) bad(text, `size ${size} is not 1, 2, 4 or 8`);
  }
  const operand = arch === 'x86_64' ? parseX86(location.trim(), text) : parseAarch64(location.trim(), text);
  return { size, signed, float, operand, text };
}

/** Splits a note's argument string; aarch64 memory operands contain spaces. */
export function splitOperands(args: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  for (const ch of args.trim()) {
    if (ch === '[' || ch === '(') depth++;
    if (ch === ']' || ch === ')') depth--;
    if (/\s/.test(ch) && depth === 0) {
      if (cur) out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

export function parseOperands(args: string, arch: Arch = 'x86_64'): ArgOperand[] {
  return splitOperands(args).map((a) => parseOperand(a, arch));
}
