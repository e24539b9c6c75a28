/**
 * Loss is never silent: with a ring too small for the rate, or JS told to
 * drop batches when behind, every event is either delivered or counted lost.
 */
import { attach, FrameEvent } from '../../lib/index';
import { killStarted, startPython, within } from '../helpers/python';

afterEach(killStarted);

const CALLS = 200000;

test.each([
  ['a 4 KiB ring', { ringBytes: 4096 }],
  ['dropped batches', { onBackpressure: 'drop' as const, maxPendingBatches: 1, batchBytes: 4096 }],
])('%s: delivered + lost = calls exactly, and lost is reported', async (_what, options) => {
  const py = await startPython('many_returns.py', [String(CALLS)]);
  const trace = await attach(py.pid, { events: ['function-return'], ...options });
  let delivered = 0;
  let reported = 0;
  let slow = 0;
  trace.on('function-return', (e: FrameEvent) => {
    if (e.function === 'work') delivered++;
    // Keep JS busy now and then, so that it falls behind.
    if (++slow % 5000 === 0) for (const end = Date.now() + 2; Date.now() < end; );
  });
  trace.on('lost', (l: { count: number; total: number }) => (reported += l.count));
  py.go();
  await py.line((l) => l === 'done');
  await trace.detach();
  const { lost, events } = trace.stats();
  expect(lost).toBeGreaterThan(0);
  expect(reported).toBe(lost);
  expect(delivered + lost).toBe(CALLS);
  expect(events).toBe(delivered);
});

test('batches(): an async iterator of raw batches, ending at close', async () => {
  const py = await startPython('many_returns.py', ['1000']);
  const trace = await attach(py.pid, { events: ['function-return'] });
  const batches = trace.batches();
  py.go();
  await py.line((l) => l === 'done');
  const detached = trace.detach();
  let records = 0;
  for await (const b of batches) {
    expect(b.buffer).toBeInstanceOf(ArrayBuffer);
    records += b.records;
  }
  await within(detached, 5000, 'detach');
  expect(records).toBe(1000);
  expect(trace.stats().events).toBe(1000);
});
