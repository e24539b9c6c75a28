/**
 * TypeScript takes the record layout, enums and register offsets from the
 * addon (native/bpf/usdt_event.h), never from copies: each use agrees.
 */
import * as fs from 'fs';
import * as path from 'path';
import { HEADER_SIZE } from '../../lib/stream/decode';
import { GENERATOR_CREATED } from '../../lib/planning/generators';
import { MARKERS, markerOf } from '../../lib/markers';
import { layout } from '../../lib/native';
import { registerOffset } from '../../lib/discovery/operands';
import { NAME_MAX } from '../../lib/stream/target-strings';

test('the record header as the compiler laid it out', () => {
  expect(HEADER_SIZE).toBe(layout.event.size);
  const o = layout.event.offsets;
  // Fields in order, none overlapping, all inside the header.
  const fields: [keyof typeof o, number][] = [
    ['size', 2],
    ['type', 1],
    ['string_mask', 1],
    ['pid', 4],
    ['tid', 4],
    ['unread_mask', 1],
    ['truncated_mask', 1],
    ['str_len', 2 * layout.limits.PT_MAX_ARGS],
    ['ts', 8],
    ['arg', 8 * layout.limits.PT_MAX_ARGS],
    ['ns_pid', 4],
    ['ns_tid', 4],
  ];
  for (let i = 1; i < fields.length; i++)
    expect(o[fields[i][0]]).toBeGreaterThanOrEqual(o[fields[i - 1][0]] + fields[i - 1][1]);
  expect(o.ns_tid + 4).toBeLessThanOrEqual(layout.event.size);
  expect(NAME_MAX).toBe(4096);
});

test('event types: each marker and the generator record', () => {
  const T = layout.eventType;
  expect(Object.fromEntries(MARKERS.map((m) => [m.event, m.type]))).toEqual({
    'function-entry': T.PT_EV_FUNCTION_ENTRY,
    'function-return': T.PT_EV_FUNCTION_RETURN,
    line: T.PT_EV_LINE,
    'gc-start': T.PT_EV_GC_START,
    'gc-done': T.PT_EV_GC_DONE,
    'import-find-load-start': T.PT_EV_IMPORT_START,
    'import-find-load-done': T.PT_EV_IMPORT_DONE,
    audit: T.PT_EV_AUDIT,
  });
  expect(GENERATOR_CREATED).toBe(T.PT_EV_GENERATOR_CREATED);
  expect(new Set(Object.values(T)).size).toBe(Object.keys(T).length);
  expect(markerOf('audit').type).toBe(T.PT_EV_AUDIT);
});

test('register offsets: every name the operand parser knows is a pt_regs offset of the addon', () => {
  const x86 = layout.registers.x86_64;
  expect(registerOffset('x86_64', 'rdi')).toBe(x86.rdi);
  expect(registerOffset('x86_64', 'r15d')).toBe(x86.r15);
  expect(registerOffset('x86_64', 'al')).toBe(x86.rax);
  expect(registerOffset('x86_64', 'rip')).toBe(x86.rip);
  expect(registerOffset('x86_64', 'spl')).toBe(x86.rsp);
  const arm = layout.registers.aarch64;
  expect(registerOffset('aarch64', 'x29')).toBe(arm.x29);
  expect(registerOffset('aarch64', 'w3')).toBe(arm.x3);
  expect(registerOffset('aarch64', 'sp')).toBe(arm.sp);
  expect(registerOffset('aarch64', 'pc')).toBe(arm.pc);
});

/** Every .ts file under lib/. */
function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('no hand-typed record offsets in the library: reads at a record position name their field', () => {
  const lib = path.resolve(__dirname, '../../lib');
  // `at + 48`, `at + 12 + i`: a number where a field of the layout belongs.
  const handTyped = /\b(?:get|read)(?:Big)?U?[Ii]nt(?:8|16|32|64)(?:LE)?\(\s*at\s*\+\s*\d/;
  const found = sources(lib).flatMap((file) =>
    fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .map((line, i) => [`${path.relative(lib, file)}:${i + 1}`, line] as const)
      .filter(([, line]) => handTyped.test(line))
      .map(([where]) => where),
  );
  expect(found).toEqual([]);
});
