/**
 * Loss is never silent: with a ring too small for the rate, or JS told to
 * drop batches when behind, every event is either delivered or counted lost.
 */
import { attach, FrameEvent } from '../../lib/index';
import { killStarted, startPython, within } from '../helpers/python';

afterEach(killStarted);

const CALLS = 200000;

// Each way of losing, through each transport: tiny kernel buffers (the
// kernel refuses records) and batches dropped by the reader.
test.each([
  ['ring: a 4 KiB ring', { transport: 'ring' as const, ringBytes: 4096 }],
  ['perf: one 4 KiB page per CPU', { transport: 'perf' as const, perfPages: 1 }],
  [
    'ring: dropped batches',
    { transport: 'ring' as const, onBackpressure: 'drop' as const, maxPendingBatches: 1, batchBytes: 4096 },
  ],
  [
    'perf: dropped batches',
    { transport: 'perf' as const, onBackpressure: 'drop' as const, maxPendingBatches: 1, batchBytes: 4096 },
  ],
])('%s: delivered + lost = calls exactly, and lost is reported', async (_what, options) => {
  const py = await startPython('many_returns.py', [String(CALLS)]);
  const trace = await attach(py.pid, { events: ['function-return'], ...options });
  expect(trace.transport).toBe(options.transport);
  let delivered = 0;
  let reported = 0;
  let slow = 0;
  trace.on('function-return', (e: FrameEvent) => {
    if (e.function === 'work') delivered++;
    // Keep JS busy now and then, so that it falls behind.
    if (++slow % 5000 === 0) for (const end = Date.now() + 2; Date.now() < end;);
  });
  trace.on('lost', (l: { count: number; total: number }) => (reported += l.count));
  py.go();
  await py.line((l) => l === 'done');
  await trace.detach();
  const { lost, events } = trace.stats();
  expect(lost).toBeGreaterThan(0);
  expect(reported).toBe(lost);
  expect({ deliveredPlusLost: delivered + lost }).toEqual({ deliveredPlusLost: CALLS });
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
