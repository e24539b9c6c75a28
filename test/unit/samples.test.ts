/** Stack sample records in the one stream: decoded beside marker events, by the layout the addon exports. */
import { layout } from '../../lib/native';
import { BatchDecoder } from '../../lib/stream/decode';
import { RawSample } from '../../lib/stream/samples';
import { record } from './record-builder';

const S = layout.sampling.sample.offsets;
const F = layout.sampling.frame.offsets;
const V = layout.sampling.values;

function sample(
  frames: [number, number, number?][],
  o: { pid?: number; tid?: number; cut?: boolean; onCpu?: boolean; nsPid?: number; nsTid?: number } = {},
): Buffer {
  const b = Buffer.alloc(layout.sampling.sample.size + frames.length * layout.sampling.frame.size);
  b.writeUInt16LE(b.length, S.size);
  b.writeUInt8(layout.eventType.PT_EV_STACK_SAMPLE, S.type);
  b.writeUInt8((o.cut ? V.PT_SAMPLE_CUT : 0) | (o.onCpu ? V.PT_SAMPLE_ON_CPU : 0), S.flags);
  b.writeUInt32LE(o.pid ?? 7, S.pid);
  b.writeUInt32LE(o.tid ?? 8, S.tid);
  b.writeUInt16LE(frames.length, S.depth);
  b.writeUInt16LE(V.PT_SAMPLES_SENT, S.status);
  b.writeBigUInt64LE(42n, S.ts);
  b.writeUInt32LE(o.nsPid ?? 0, S.ns_pid);
  b.writeUInt32LE(o.nsTid ?? 0, S.ns_tid);
  frames.forEach(([code, offset, identity], i) => {
    const at = layout.sampling.sample.size + i * layout.sampling.frame.size;
    b.writeBigUInt64LE(BigInt(code), at + F.code);
    b.writeInt32LE(offset, at + F.offset);
    b.writeUInt32LE(identity ?? 0, at + F.identity);
  });
  return b;
}

const toArrayBuffer = (b: Buffer) => b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;

test('samples of any depth (one frame is shorter than an event header) and events, in order', () => {
  const batch = Buffer.concat([
    sample([[0x7f0000001000, 12]]),
    record({ type: layout.eventType.PT_EV_GC_START, args: [2] }),
    sample([], { cut: true, onCpu: true }),
    sample(
      [
        [0x7f0000002000, -1, 0xdeadbeef],
        [0x7f0000003000, 0x1234, 7],
      ],
      { nsPid: 1, nsTid: 3 },
    ),
  ]);
  const got: (RawSample | string)[] = [];
  const n = new BatchDecoder().decode(
    toArrayBuffer(batch),
    (e) => got.push(e.type),
    (s) => got.push(s),
  );
  expect(n).toBe(4);
  expect(got).toEqual([
    {
      pid: 7,
      tid: 8,
      ts: 42n,
      cut: false,
      onCpu: false,
      status: V.PT_SAMPLES_SENT,
      frames: [{ code: 0x7f0000001000, offset: 12, identity: 0 }],
    },
    'gc-start',
    { pid: 7, tid: 8, ts: 42n, cut: true, onCpu: true, status: V.PT_SAMPLES_SENT, frames: [] },
    {
      pid: 7,
      tid: 8,
      nsPid: 1,
      nsTid: 3,
      ts: 42n,
      cut: false,
      onCpu: false,
      status: V.PT_SAMPLES_SENT,
      frames: [
        { code: 0x7f0000002000, offset: -1, identity: 0xdeadbeef },
        { code: 0x7f0000003000, offset: 0x1234, identity: 7 },
      ],
    },
  ]);
});

test('a decoder not asked for samples skips them, uncounted (the trace reports them lost); a sample whose frames overrun its size is skipped, uncounted', () => {
  const batch = Buffer.concat([sample([[1, 2]]), record({ type: layout.eventType.PT_EV_GC_START, args: [0] })]);
  expect(new BatchDecoder().decode(toArrayBuffer(batch), () => undefined)).toBe(1);
  const lying = sample([[1, 2]]);
  lying.writeUInt16LE(5, S.depth);
  const seen: RawSample[] = [];
  expect(
    new BatchDecoder().decode(
      toArrayBuffer(Buffer.concat([lying, record({ type: layout.eventType.PT_EV_GC_START })])),
      () => undefined,
      (s) => seen.push(s),
    ),
  ).toBe(1);
  expect(seen).toEqual([]);
});
