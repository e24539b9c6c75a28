/**
 * Line-table decoders against the interpreters themselves: the fixtures hold,
 * for every code object of sample_source.py under each CPython version, the
 * table's bytes and the line CPython's PyCode_Addr2Line gives for every
 * instruction offset (scripts/python-line-tables.sh regenerates them).
 */
import * as fs from 'fs';
import * as path from 'path';
import { decodeLineTable, lineAt } from '../../lib/sampling/line-table';
import { versionConstants } from '../../lib/sampling/layout';

const DIR = path.resolve(__dirname, '../fixtures/line-tables');

interface Fixture {
  version: string;
  codes: { name: string; qualname: string; firstlineno: number; table: string; codeBytes: number; lines: number[] }[];
}

const fixtures = fs
  .readdirSync(DIR)
  .filter((f) => /^3\.\d+\.json$/.test(f))
  .map((f) => JSON.parse(fs.readFileSync(path.join(DIR, f), 'utf8')) as Fixture);

test('fixtures cover 3.9 through 3.15', () => {
  expect(fixtures.map((f) => f.version.split('.').slice(0, 2).join('.')).sort()).toEqual([
    '3.10',
    '3.11',
    '3.12',
    '3.13',
    '3.14',
    '3.15',
    '3.9',
  ]);
});

describe.each(fixtures.map((f) => [f.version, f] as const))('CPython %s', (_, fixture) => {
  const minor = Number(fixture.version.split('.')[1]);
  const format = versionConstants(minor).lineTableFormat;

  test.each(fixture.codes.map((c) => [c.qualname, c] as const))('%s: every instruction offset', (_, code) => {
    const ranges = decodeLineTable(format, Buffer.from(code.table, 'hex'), code.firstlineno);
    // CPython answers -1 for "no line"; we answer null.
    const got = code.lines.map((_, i) => lineAt(ranges, i * 2) ?? -1);
    expect(got).toEqual(code.lines);
  });

  test('the sample exercises far and backward line steps', () => {
    const all = fixture.codes.flatMap((c) => c.lines);
    expect(Math.max(...all)).toBeGreaterThan(450);
    const loops = fixture.codes.find((c) => c.name === 'loops')!;
    const steps = loops.lines.slice(1).map((l, i) => l - loops.lines[i]);
    expect(steps.some((s) => s < 0)).toBe(true);
  });
});

test('hostile tables decode without reading past the end', () => {
  const junk = Buffer.from([0xff, 0xf7, 0xff, 0xff, 0xff, 0xff, 0x80, 0x01, 0xf0]);
  for (const format of ['lnotab', 'linetable', 'locations'] as const) {
    const ranges = decodeLineTable(format, junk, 1);
    for (const r of ranges) expect(r.end).toBeGreaterThan(r.start);
    expect(() => lineAt(ranges, 1 << 20)).not.toThrow();
  }
});
