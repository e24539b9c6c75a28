/**
 * Where things are in the bytes of a 64-bit little-endian ELF, read
 * independently of the addon, so tests can corrupt them on purpose: the ELF
 * header's fields, the section headers, and the stapsdt notes with their
 * strings' terminating NULs.
 */

export interface SectionHeader {
  index: number;
  name: string;
  /** File offset of this section header. */
  at: number;
  type: number;
  offset: number;
  size: number;
}

export interface NoteBytes {
  /** File offset of the note header (namesz, descsz, type). */
  at: number;
  namesz: number;
  descsz: number;
  /** File offset of the descriptor. */
  desc: number;
  /** File offsets of the NULs ending provider, name and arguments. */
  nuls: number[];
}

/** Offsets of the ELF64 header fields (as elf.h's Elf64_Ehdr lays them out) and their sizes. */
export const EHDR = {
  e_phoff: [32, 8],
  e_shoff: [40, 8],
  e_phentsize: [54, 2],
  e_phnum: [56, 2],
  e_shentsize: [58, 2],
  e_shnum: [60, 2],
  e_shstrndx: [62, 2],
} as const;

/** Offsets of Elf64_Shdr fields within a section header, and their sizes. */
export const SHDR = {
  sh_name: [0, 4],
  sh_type: [4, 4],
  sh_offset: [24, 8],
  sh_size: [32, 8],
  sh_link: [40, 4],
  sh_entsize: [56, 8],
} as const;

export function sections(elf: Buffer): SectionHeader[] {
  const shoff = Number(elf.readBigUInt64LE(40));
  const shentsize = elf.readUInt16LE(58);
  const shnum = elf.readUInt16LE(60);
  const strtab = shoff + elf.readUInt16LE(62) * shentsize;
  const namesAt = Number(elf.readBigUInt64LE(strtab + 24));
  const out: SectionHeader[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * shentsize;
    const nameAt = namesAt + elf.readUInt32LE(at);
    out.push({
      index: i,
      name: elf.toString('latin1', nameAt, elf.indexOf(0, nameAt)),
      at,
      type: elf.readUInt32LE(at + 4),
      offset: Number(elf.readBigUInt64LE(at + 24)),
      size: Number(elf.readBigUInt64LE(at + 32)),
    });
  }
  return out;
}

/** The notes of .note.stapsdt (4-byte aligned, as sys/sdt.h writes them). */
export function stapsdtNotes(elf: Buffer): NoteBytes[] {
  const s = sections(elf).find((x) => x.name === '.note.stapsdt');
  if (!s) return [];
  const out: NoteBytes[] = [];
  const align = (n: number) => (n + 3) & ~3;
  for (let at = s.offset; at < s.offset + s.size;) {
    const namesz = elf.readUInt32LE(at);
    const descsz = elf.readUInt32LE(at + 4);
    const desc = at + 12 + align(namesz);
    const nuls: number[] = [];
    for (let p = desc + 24; nuls.length < 3; p++) if (elf[p] === 0) nuls.push(p);
    out.push({ at, namesz, descsz, desc, nuls });
    at = desc + align(descsz);
  }
  return out;
}

/** Writes an unsigned integer of `size` bytes at `at`. */
export function put(elf: Buffer, at: number, size: number, value: number | bigint): void {
  if (size === 8) elf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(value)), at);
  else if (size === 4) elf.writeUInt32LE(Number(BigInt.asUintN(32, BigInt(value))), at);
  else elf.writeUInt16LE(Number(BigInt.asUintN(16, BigInt(value))), at);
}

export function get(elf: Buffer, at: number, size: number): bigint {
  return size === 8 ? elf.readBigUInt64LE(at) : BigInt(size === 4 ? elf.readUInt32LE(at) : elf.readUInt16LE(at));
}
