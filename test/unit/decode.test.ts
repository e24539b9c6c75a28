/**
 * The decoder on records built from the layout the addon exports: names
 * inline and by address, cut names, unknown types, every audit item kind.
 */
import { BatchDecoder } from '../../lib/stream/decode';
import { GeneratorCreated } from '../../lib/planning/generators';
import { TraceEvent } from '../../lib/markers';
import { layout } from '../../lib/native';
import { batch, item, record } from './record-builder';

const T = layout.eventType;
const K = layout.auditKind;
const F = layout.auditFlags;

function decodeAll(
  b: ArrayBuffer,
  decoder = new BatchDecoder(),
): { events: (TraceEvent | GeneratorCreated)[]; decoded: number } {
  const events: (TraceEvent | GeneratorCreated)[] = [];
  const decoded = decoder.decode(b, (e) => events.push(e as TraceEvent | GeneratorCreated));
  return { events, decoded };
}

const u32 = (...v: number[]) => Buffer.from(new Uint32Array(v).buffer);

test('a frame: names inline, then by address from what was sent', () => {
  const first = record({
    type: T.PT_EV_FUNCTION_ENTRY,
    args: [0x1000, 0x2000, 7],
    strings: [
      { index: 0, bytes: Buffer.from('/app/m.py') },
      { index: 1, bytes: Buffer.from('f') },
    ],
  });
  const later = record({ type: T.PT_EV_FUNCTION_RETURN, args: [0x1000, 0x2000, 9] });
  const { events, decoded } = decodeAll(batch(first, later));
  expect(decoded).toBe(2);
  expect(events).toEqual([
    { type: 'function-entry', pid: 100, tid: 100, ts: 1n, filename: '/app/m.py', function: 'f', lineno: 7 },
    { type: 'function-return', pid: 100, tid: 100, ts: 1n, filename: '/app/m.py', function: 'f', lineno: 9 },
  ]);
});

test('a name the kernel cut ends on a character boundary and the event says truncated, also by address', () => {
  const whole = 'a' + '\u00e9'.repeat(2047); // 4095 bytes
  const bytes = Buffer.concat([Buffer.from(whole), Buffer.from('\u00e9').subarray(0, 1)]); // 4096: half a character at the end
  expect(bytes.length).toBe(layout.limits.PT_NAME_MAX);
  const first = record({
    type: T.PT_EV_LINE,
    args: [0x1000, 0x2000, 1],
    strings: [
      { index: 0, bytes, truncated: true },
      { index: 1, bytes: Buffer.from('g') },
    ],
  });
  const later = record({ type: T.PT_EV_LINE, args: [0x1000, 0x2000, 2] });
  const { events } = decodeAll(batch(first, later));
  for (const e of events) expect(e).toMatchObject({ filename: whole, function: 'g', truncated: true });
});

test('a record of an unknown type is skipped and not counted as decoded', () => {
  const gc = record({ type: T.PT_EV_GC_START, args: [2] });
  const unknown = record({ type: 200, args: [1, 2, 3], tail: Buffer.from('whatever') });
  const { events, decoded } = decodeAll(batch(gc, unknown, gc));
  expect(decoded).toBe(2);
  expect(events.map((e) => e.type)).toEqual(['gc-start', 'gc-start']);
});

test('namespace ids only when they differ from the host ids', () => {
  const { events } = decodeAll(
    batch(
      record({ type: T.PT_EV_GC_DONE, args: [5], nsPid: 1, nsTid: 1 }),
      record({ type: T.PT_EV_GC_DONE, args: [5], nsPid: 100, nsTid: 100 }),
    ),
  );
  expect(events).toEqual([
    { type: 'gc-done', pid: 100, tid: 100, ts: 1n, collected: 5, nsPid: 1, nsTid: 1 },
    { type: 'gc-done', pid: 100, tid: 100, ts: 1n, collected: 5 },
  ]);
});

test('audit items of every kind', () => {
  const items = [
    item(K.PT_AUDIT_STR, Buffer.from('\x00123', 'latin1')),
    item(K.PT_AUDIT_STR_LATIN1, Buffer.from('caf\u00e9', 'latin1')),
    item(K.PT_AUDIT_STR_UCS2, Buffer.from('\u20ac', 'utf16le')),
    item(K.PT_AUDIT_STR_UCS4, u32(0x1f600)),
    item(K.PT_AUDIT_BYTES_VALUE, Buffer.from([0, 0xff])),
    item(K.PT_AUDIT_STR, Buffer.from('xx'), F.PT_AUDIT_CUT),
    item(K.PT_AUDIT_INT, u32(5, 1), F.PT_AUDIT_NEGATIVE), // -(5 + 2^30)
    item(K.PT_AUDIT_INT, Buffer.alloc(0), F.PT_AUDIT_CUT),
    item(K.PT_AUDIT_NONE),
    item(K.PT_AUDIT_TUPLE, u32(2), 0, 2),
    item(K.PT_AUDIT_STR, Buffer.from('127.0.0.1')),
    item(K.PT_AUDIT_INT, u32(80)),
    item(K.PT_AUDIT_TUPLE, u32(9), 0, 1),
    item(K.PT_AUDIT_INT, Buffer.alloc(0)),
    item(K.PT_AUDIT_OTHER, Buffer.from('list')),
  ];
  const r = record({
    type: T.PT_EV_AUDIT,
    args: [0x5000, 20, 12],
    strings: [{ index: 0, bytes: Buffer.from('socket.connect') }],
    tail: Buffer.concat(items),
  });
  const { events } = decodeAll(batch(r));
  expect(events).toEqual([
    {
      type: 'audit',
      pid: 100,
      tid: 100,
      ts: 1n,
      event: 'socket.connect',
      argCount: 20,
      args: [
        '\x00123',
        'caf\u00e9',
        '\u20ac',
        '\u{1f600}',
        { bytes: '00ff' },
        { str: 'xx', truncated: true },
        -(5 + 2 ** 30),
        { type: 'int' },
        null,
        ['127.0.0.1', 80],
        { tuple: [0], size: 9, truncated: true },
        { type: 'list' },
      ],
    },
  ]);
});

test('an audit event whose tuple was not read has no args', () => {
  const { events } = decodeAll(
    batch(record({ type: T.PT_EV_AUDIT, args: [0x5000, -1, 0], strings: [{ index: 0, bytes: Buffer.from('open') }] })),
  );
  expect(events).toEqual([{ type: 'audit', pid: 100, tid: 100, ts: 1n, event: 'open' }]);
});
