/**
 * probes(path) and probes(pid) against what binutils reads from the same
 * files: every note, its addresses, file offsets (from the program headers),
 * symbols, and in a process, where the semaphores are mapped.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { probes, ProbeLocation } from '../../lib';
import { MARKERS } from '../../lib/markers';
import type { RawNote } from '../../lib/native';
import { parseOperands } from '../../lib/discovery/operands';
import { buildFixtures, Fixture, startFixture } from '../helpers/fixtures';
import { readSemaphore } from '../helpers/target-memory';

const PYTHON = '/usr/bin/python3.11';
const LIBPYTHON = '/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0';

const readelf = (...args: string[]) =>
  execFileSync('readelf', ['--wide', ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
const hex = (s: string) => BigInt(s.startsWith('0x') ? s : '0x' + s);

/** A note as readelf prints it, in the shape the addon returns it. */
type Note = RawNote;

function notes(file: string): Note[] {
  const re =
    /Provider: (\S+)\s+Name: (\S+)\s+Location: (0x[0-9a-f]+), Base: (0x[0-9a-f]+), Semaphore: (0x[0-9a-f]+)\n(?:\s+Arguments: ?(.*))?/g;
  return [...readelf('-n', file).matchAll(re)].map((m) => ({
    provider: m[1],
    name: m[2],
    pc: hex(m[3]),
    base: hex(m[4]),
    semaphore: hex(m[5]),
    args: (m[6] ?? '').trim(),
  }));
}

interface Segment {
  offset: bigint;
  vaddr: bigint;
  filesz: bigint;
}

function loadSegments(file: string): Segment[] {
  const re = /^\s*LOAD\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+0x[0-9a-f]+\s+(0x[0-9a-f]+)/gm;
  return [...readelf('-l', file).matchAll(re)].map((m) => ({ offset: hex(m[1]), vaddr: hex(m[2]), filesz: hex(m[3]) }));
}

function offsetOf(segments: Segment[], vaddr: bigint): bigint {
  const s = segments.filter((s) => vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz);
  expect(s).toHaveLength(1);
  return vaddr - s[0].vaddr + s[0].offset;
}

function section(file: string, name: string): { addr: bigint; offset: bigint } | undefined {
  const m = new RegExp(`\\]\\s+${name.replace(/\./g, '\\.')}\\s+\\S+\\s+([0-9a-f]+)\\s+([0-9a-f]+)`).exec(
    readelf('-S', file),
  );
  return m ? { addr: hex(m[1]), offset: hex(m[2]) } : undefined;
}

/** Defined symbols, .symtab before .dynsym, as the note's %rip operands resolve them. */
function symbols(file: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const table of readelf('-s', file)
    .split(/^Symbol table /m)
    .sort((a, b) => Number(b.startsWith("'.symtab'")) - Number(a.startsWith("'.symtab'"))))
    for (const m of table.matchAll(/^\s*\d+:\s+([0-9a-f]+)\s+\d+\s+\S+\s+\S+\s+\S+\s+(\S+)\s+(\S+)$/gm))
      if (m[2] !== 'UND' && !out.has(m[3].replace(/@.*$/, ''))) out.set(m[3].replace(/@.*$/, ''), hex(m[1]));
  return out;
}

/** ET_DYN without PT_INTERP: a library, not a PIE executable. */
function isShared(file: string): boolean {
  return /Type:\s+DYN/.test(readelf('-h', file)) && !/^\s*INTERP\s/m.test(readelf('-l', file));
}

/** What probes() must say about `file`, from binutils alone. */
function expected(file: string, path = file) {
  const segments = loadSegments(file);
  const base = section(file, '.stapsdt.base');
  const syms = symbols(file);
  const shared = isShared(file);
  return notes(file).map((n) => {
    const adjust = base && n.base ? base.addr - n.base : 0n;
    const address = n.pc + adjust;
    const semaphore = n.semaphore ? n.semaphore + adjust : null;
    const ripSymbols = parseOperands(n.args).flatMap((a) =>
      a.operand.form === 'rip-relative' ? [a.operand.symbol] : [],
    );
    return {
      provider: n.provider,
      name: n.name,
      path,
      shared,
      address,
      offset: offsetOf(segments, address),
      base: n.base,
      baseAdjustment: adjust,
      semaphore,
      semaphoreOffset: semaphore === null ? null : offsetOf(segments, semaphore),
      argsText: n.args,
      args: n.args.split(/\s+/).filter(Boolean),
      symbols: Object.fromEntries(ripSymbols.map((s) => [s, syms.get(s)])),
      arch: 'x86_64',
    };
  });
}

function comparable(p: ProbeLocation) {
  const { openPath, semaphoreAddress, ...rest } = p;
  return { ...rest, args: p.args.map((a) => a.text) };
}

const dir = buildFixtures();
const fx = { exe: fs.realpathSync(`${dir}/sdt-fixture`), lib: fs.realpathSync(`${dir}/libsdtfixture.so`) };

describe('probes(path) agrees with readelf', () => {
  test.each([
    ['python3.11 (non-PIE executable)', PYTHON, false, 8],
    ['libpython3.11', LIBPYTHON, true, 8],
    ['sdt-fixture (PIE executable, semaphores)', fx.exe, false, 21],
    ['libsdtfixture.so (with and without semaphores)', fx.lib, true, 4],
  ] as const)('%s', (_, file, shared, count) => {
    const got = probes(file);
    const want = expected(file);
    expect(want).toHaveLength(count);
    expect(got).toHaveLength(count);
    expect(got.map(comparable)).toEqual(want);
    for (const p of got) {
      expect(p.openPath).toBe(file);
      expect(p.shared).toBe(shared);
      expect(p.semaphoreAddress).toBeUndefined();
    }
  });

  test('the fixtures cover semaphores and their absence, several locations per marker, and %rip symbols', () => {
    const exe = probes(fx.exe);
    const lib = probes(fx.lib);
    expect(exe.every((p) => p.semaphore !== null)).toBe(true);
    expect(lib.map((p) => [p.name, p.semaphore !== null])).toEqual([
      ['function__entry', true],
      ['gc__start', true],
      ['import__find__load__start', false],
      ['audit', false],
    ]);
    const count = (name: string) => exe.filter((p) => p.name === name).length;
    expect(MARKERS.map((m) => count(m.marker))).toEqual([3, 2, 2, 4, 4, 2, 2, 2]);
    // Several locations of one marker share its semaphore.
    expect(new Set(exe.filter((p) => p.name === 'gc__start').map((p) => p.semaphore)).size).toBe(1);
    expect(Object.keys(lib[2].symbols)).toEqual(['fxl_module_ptr']);
  });

  test('a file without markers has none; a missing file is PYTRACE_BAD_ELF', () => {
    expect(probes('/bin/true')).toEqual([]);
    expect(() => probes('/nonexistent/sdt-fixture')).toThrow(expect.objectContaining({ code: 'PYTRACE_BAD_ELF' }));
  });
});

describe('probes(pid)', () => {
  let proc: Fixture | undefined;

  afterAll(async () => {
    await proc?.stop();
  });

  test("lists the executable's and the shared library's markers, semaphores where the process maps .probes", async () => {
    proc = await startFixture();
    const pid = proc.pid;
    const got = probes(pid);
    expect(probes(String(pid)).map(comparable)).toEqual(got.map(comparable));

    // Every mapped object with notes, as binutils reads them, opened through the process's root.
    const maps = fs
      .readFileSync(`/proc/${pid}/maps`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => /^([0-9a-f]+)-([0-9a-f]+) (\S+) ([0-9a-f]+) \S+ \d+\s*(.*)$/.exec(l)!)
      .map((m) => ({
        start: hex(m[1]),
        end: hex(m[2]),
        perms: m[3],
        offset: hex(m[4]),
        path: m[5].startsWith('/') ? m[5] : undefined,
      }));
    const objects = [...new Set(maps.filter((m) => m.path && m.perms.includes('x')).map((m) => m.path!))];
    const want = objects.flatMap((path) => expected(`/proc/${pid}/root${path}`, path));
    expect(got.map(comparable)).toEqual(want);
    expect([...new Set(got.map((p) => p.path))]).toEqual([fx.exe, fx.lib]);
    expect(got.filter((p) => p.path === fx.exe)).toHaveLength(21);
    expect(got.filter((p) => p.path === fx.lib)).toHaveLength(4);
    for (const p of got) expect(p.openPath).toBe(`/proc/${pid}/root${p.path}`);

    for (const p of got) {
      if (p.semaphore === null) {
        expect(p.semaphoreAddress).toBeUndefined();
        continue;
      }
      // .probes's file offset, through the mapping that holds it, plus the semaphore's place in it.
      const probesSection = section(p.path, '.probes')!;
      const mapping = maps.filter(
        (m) =>
          m.path === p.path && probesSection.offset >= m.offset && probesSection.offset < m.offset + (m.end - m.start),
      );
      expect(mapping).toHaveLength(1);
      expect(mapping[0].perms).toBe('rw-p');
      const address =
        mapping[0].start + (probesSection.offset - mapping[0].offset) + (p.semaphore - probesSection.addr);
      expect(p.semaphoreAddress).toBe(address);
      // Nothing traces it: the kernel has not raised it.
      expect(readSemaphore(pid, p.semaphoreAddress!)).toBe(0);
    }
    // The executable's and the library's semaphores are distinct variables.
    const entry = got.filter((p) => p.name === 'function__entry').map((p) => [p.path, p.semaphoreAddress]);
    expect(new Set(entry.map(([, a]) => a)).size).toBe(2);
  });

  test('a PID with no process is PYTRACE_NO_PROCESS', () => {
    expect(() => probes(2 ** 22 + 1)).toThrow(expect.objectContaining({ code: 'PYTRACE_NO_PROCESS' }));
  });
});
