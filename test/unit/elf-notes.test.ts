/**
 * ELF note reading on checked-in bytes (test/fixtures/elf, rebuilt by its
 * update.sh): what the addon reads, which corruptions it names, and how
 * discovery judges them (the Python's markers: errors; other providers':
 * warnings). No root, no BPF, no Python. Expected values are readelf's.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readElfFile } from '../../lib/discovery/elf';
import { discoverFile, probes } from '../../lib/discovery/probes';
import { stapsdtNotes } from '../helpers/elf-bytes';

const FIXTURES = path.resolve(__dirname, '../fixtures/elf');
const PYTHON_LIB = path.join(FIXTURES, 'libsdtfixture.so');
const OTHER_LIB = path.join(FIXTURES, 'libothermarkers.so');

let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pytrace-notes-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A copy of `file` with `change` applied to its bytes. */
function variant(file: string, change: (b: Buffer) => void): string {
  const b = Buffer.from(fs.readFileSync(file));
  change(b);
  const out = path.join(dir, `${path.basename(file)}-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(out, b);
  return out;
}

describe('readElf on the checked-in fixtures', () => {
  test('every note, as readelf -n prints it', () => {
    const elf = readElfFile(OTHER_LIB);
    expect(elf.problems).toEqual([]);
    expect(elf.notes).toEqual([
      { provider: 'zfixture', name: 'plain', pc: 0x10f9n, base: 0x2000n, semaphore: 0n, args: '' },
      { provider: 'zfixture', name: 'register_operand', pc: 0x10fan, base: 0x2000n, semaphore: 0n, args: '8@%rdi' },
      {
        provider: 'zfixture',
        name: 'unparseable_operand',
        pc: 0x10fbn,
        base: 0x2000n,
        semaphore: 0n,
        args: '8@%rdi 4@[%rsi]',
      },
    ]);
    const py = readElfFile(PYTHON_LIB, ['fxl_frame', 'fxl_module_ptr']);
    expect(py.notes.map((n) => [n.name, n.pc, n.semaphore, n.args])).toEqual([
      ['function__entry', 0x1140n, 0x4052n, '8@fxl_frame(%rip) 8@8+fxl_frame(%rip) -4@16+fxl_frame(%rip)'],
      ['gc__start', 0x1150n, 0x4050n, '-4@%edi'],
      ['import__find__load__start', 0x1248n, 0n, '8@fxl_module_ptr(%rip)'],
      ['audit', 0x1262n, 0n, '8@-16(%rbp) 8@%rsi'],
    ]);
    expect(py.notes.every((n) => n.provider === 'python' && n.base === 0x2023n)).toBe(true);
    expect(py.shared && !py.interpreter).toBe(true);
    expect(py.machine).toBe(62);
    expect(py.segments.map((s) => [s.offset, s.vaddr, s.filesz])).toEqual([
      [0n, 0n, 0x598n],
      [0x1000n, 0x1000n, 0x271n],
      [0x2000n, 0x2000n, 0xecn],
      [0x2de8n, 0x3de8n, 0x26cn],
    ]);
    expect(py.sections['.stapsdt.base']).toEqual({ addr: 0x2023n, offset: 0x2023n, size: 1n });
    expect(py.sections['.probes']).toEqual({ addr: 0x4050n, offset: 0x3050n, size: 4n });
    expect(py.symbols).toEqual({
      fxl_frame: { value: 0x4030n, size: 24n },
      fxl_module_ptr: { value: 0x4048n, size: 0n },
    });
  });

  test('a PIE executable has an interpreter, a library none', () => {
    expect(readElfFile('/bin/true').interpreter).toBe(true);
    expect(readElfFile(OTHER_LIB).interpreter).toBe(false);
  });
});

describe('corrupt notes are named, never read as text', () => {
  const [first] = stapsdtNotes(fs.readFileSync(OTHER_LIB));

  test.each([
    [
      'a descriptor shorter than its three addresses',
      (b: Buffer) => b.writeUInt32LE(20, first.at + 4),
      /shorter than its three addresses/,
    ],
    ['a provider without its NUL', (b: Buffer) => (b[first.nuls[0]] = 0x41), /string has no terminating NUL/],
    [
      'arguments without their NUL',
      (b: Buffer) => (b[first.nuls[2]] = 0x41),
      /arguments string has no terminating NUL/,
    ],
    [
      'a descriptor size that swallows the next note',
      (b: Buffer) => b.writeUInt32LE(first.descsz + 16, first.at + 4),
      /runs \d+ bytes past its arguments/,
    ],
    ['a descriptor size past the section', (b: Buffer) => b.writeUInt32LE(0xffff, first.at + 4), /not a whole note/],
    [
      'another owner in .note.stapsdt',
      (b: Buffer) => (b[first.at + 12] = 0x53),
      /is not a stapsdt note \(owner "Stapsdt"/,
    ],
  ])('%s', (_, change, message) => {
    const file = variant(OTHER_LIB, change);
    const elf = readElfFile(file);
    // The first problem is that note's (a wrong size also leaves the rest of the section unreadable).
    expect(elf.problems[0].message).toMatch(message);
    // Not another provider's marker: a warning, the rest still listed.
    const found = discoverFile(file, 'libz.so.1');
    expect(found.warnings.map((w) => w.code)).toContain('PYTRACE_BAD_ELF');
    expect(found.warnings.map((w) => w.message).join()).toMatch(message);
    expect(found.locations.every((l) => l.provider === 'zfixture')).toBe(true);
  });

  test("a Python marker's corrupt note is an error", () => {
    const [entry] = stapsdtNotes(fs.readFileSync(PYTHON_LIB));
    const file = variant(PYTHON_LIB, (b) => (b[entry.nuls[2]] = 0x41));
    expect(() => discoverFile(file, '/usr/lib/libpython3.11.so.1.0')).toThrow(
      expect.objectContaining({
        code: 'PYTRACE_BAD_ELF',
        message: expect.stringMatching(/corrupt stapsdt note at 0x[0-9a-f]+ \(python:function__entry\)/),
      }),
    );
  });
});

describe("other providers' markers that do not parse are warnings", () => {
  test('the unparseable operand is skipped, the others listed', () => {
    const found = discoverFile(OTHER_LIB);
    expect(found.locations.map((l) => l.name)).toEqual(['plain', 'register_operand']);
    expect(found.warnings).toEqual([
      {
        code: 'PYTRACE_BAD_OPERAND',
        path: OTHER_LIB,
        provider: 'zfixture',
        name: 'unparseable_operand',
        message: expect.stringContaining('"4@[%rsi]"'),
      },
    ]);
  });

  test('probes(path) emits them as process warnings', () => {
    const emit = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      expect(probes(OTHER_LIB)).toHaveLength(2);
      expect(emit.mock.calls).toEqual([
        [
          expect.stringContaining('zfixture:unparseable_operand'),
          { type: 'PytraceWarning', code: 'PYTRACE_BAD_OPERAND' },
        ],
      ]);
    } finally {
      emit.mockRestore();
    }
  });

  test("a Python marker's unparseable operand is an error", () => {
    const [, gc] = stapsdtNotes(fs.readFileSync(PYTHON_LIB));
    // "-4@%edi" becomes "-4@%ed!" in place.
    const file = variant(PYTHON_LIB, (b) => (b[gc.nuls[2] - 1] = 0x21));
    expect(() => discoverFile(file)).toThrow(expect.objectContaining({ code: 'PYTRACE_BAD_OPERAND' }));
  });
});

describe('files that are not readable ELF files are errors', () => {
  const raw = fs.readFileSync(OTHER_LIB);
  test.each([
    ['truncated before its section headers', () => raw.subarray(0, raw.length - 100), /corrupt section headers/],
    ['truncated inside its notes', () => raw.subarray(0, stapsdtNotes(raw)[1].at), /section headers/],
    [
      'section headers moved past the end',
      () => Buffer.concat([raw.subarray(0, 40), Buffer.from([0xff, 0xff, 0, 0, 0, 0, 0, 0]), raw.subarray(48)]),
      /section headers/,
    ],
    ['not an ELF', () => Buffer.from('#!/bin/sh\necho hello\n'), /not an ELF file/],
    ['empty', () => Buffer.alloc(0), /not an ELF file/],
  ])('%s', (_, bytes, message) => {
    const file = path.join(dir, 'broken.so');
    fs.writeFileSync(file, bytes());
    expect(() => discoverFile(file)).toThrow(
      expect.objectContaining({
        name: 'PytraceError',
        code: 'PYTRACE_BAD_ELF',
        message: expect.stringMatching(message),
      }),
    );
  });

  test('a missing file or a directory is PYTRACE_BAD_ELF, saying which', () => {
    expect(() => probes(path.join(dir, 'missing.so'))).toThrow(
      expect.objectContaining({
        name: 'PytraceError',
        code: 'PYTRACE_BAD_ELF',
        message: expect.stringContaining('no such file'),
      }),
    );
    expect(() => probes(dir)).toThrow(
      expect.objectContaining({
        name: 'PytraceError',
        code: 'PYTRACE_BAD_ELF',
        message: expect.stringContaining('not a regular file'),
      }),
    );
  });
});
