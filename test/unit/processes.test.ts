/**
 * The process records as the kernel lays them out (struct pt_event, then the
 * exec'd path), decoded; and which processes a trace still follows.
 */
import { BatchDecoder, DecodedRecord } from '../../lib/stream/decode';
import { TracedProcesses } from '../../lib/api/processes';
import { EXEC_RECORD, EXIT_RECORD, FORK_RECORD } from '../../lib/stream/process-records';
import { layout } from '../../lib/native';
import { record as build } from './record-builder';

const X = layout.execFlags;

/** A process record (pt_event; string 0 the exec'd path), laid out as the addon's layout says. */
function record(type: number, pid: number, tid: number, args: number[], text = ''): Buffer {
  return build({ type, pid, tid, ts: 77n, args, strings: text ? [{ index: 0, bytes: Buffer.from(text) }] : [] });
}

function decode(...records: Buffer[]): DecodedRecord[] {
  const all = Buffer.concat(records);
  const out: DecodedRecord[] = [];
  new BatchDecoder().decode(all.buffer.slice(all.byteOffset, all.byteOffset + all.length), (r) => out.push(r));
  return out;
}

test('fork, exec and exit records', () => {
  expect(
    decode(
      record(FORK_RECORD, 10, 11, [20, layout.forkFlags.PT_FORK_FOLLOWED | layout.forkFlags.PT_FORK_HELD]),
      record(FORK_RECORD, 10, 10, [21, 0]),
      record(EXEC_RECORD, 20, 20, [0], '/usr/bin/python3.11'),
      record(EXEC_RECORD, 21, 21, [0, X.PT_EXEC_HELD | X.PT_EXEC_OTHER_PROGRAM], 'true'),
      record(EXEC_RECORD, 22, 22, [0, X.PT_EXEC_HELD | X.PT_EXEC_NEW_MAIN_THREAD], 'x'),
      record(EXIT_RECORD, 20, 20, [3 << 8]),
      record(EXIT_RECORD, 21, 21, [9]),
    ),
  ).toEqual([
    { type: 'fork', pid: 10, tid: 11, ts: 77n, child: 20, traced: true },
    { type: 'fork', pid: 10, tid: 10, ts: 77n, child: 21, traced: false },
    { type: 'exec', pid: 20, tid: 20, ts: 77n, executable: '/usr/bin/python3.11', held: false },
    // Held for JS only when the program is another one (a new main thread is the reader's).
    { type: 'exec', pid: 21, tid: 21, ts: 77n, executable: 'true', held: true },
    { type: 'exec', pid: 22, tid: 22, ts: 77n, executable: 'x', held: false },
    { type: 'exit', pid: 20, tid: 20, ts: 77n, reason: 'exit', code: 3 },
    { type: 'exit', pid: 21, tid: 21, ts: 77n, reason: 'exit', signal: 9 },
  ]);
});

test('the processes a trace follows: traced children join, each ends once, the count reaches 0', () => {
  const p = new TracedProcesses(10, [], () => []);
  const fork = (child: number, traced: boolean, pid = 10) =>
    p.forked({ type: 'fork', pid, tid: pid, ts: 0n, child, traced });
  fork(20, true);
  fork(21, false);
  fork(30, true, 99); // a parent not followed
  expect([p.follows(20), p.follows(21), p.follows(30), p.count]).toEqual([true, false, false, 2]);
  expect(p.end(20)).toBe(true);
  expect(p.end(20)).toBe(false);
  expect(p.end(10)).toBe(true);
  expect(p.count).toBe(0);
  // A pid used again by a new traced child follows anew.
  fork(20, true);
  expect(p.count).toBe(0); // its parent is gone
});
