/**
 * Consumer capacity: a native thread produces records in the kernel's format
 * as fast as JsBatches takes them; JS consumes them on its one thread through
 * the library's own path. The producer waits whenever the default number of
 * batches is pending, so the rate measured is the consumer's.
 */
import { createRequire } from 'node:module';
import { BatchDecoder } from '../lib/stream/decode';
import { Description } from '../lib/discovery/describe';
import { FrameEvent } from '../lib/markers';
import { NativeMessage, NativeTrace } from '../lib/native';
import { DEFAULTS } from '../lib/api/options';
import { Trace } from '../lib/api/trace';
import { withTimeout } from './workload';

interface SyntheticSourceLike {
  start(): void;
  stats(): ReturnType<NativeTrace['stats']>;
  close(): void;
  ref(): void;
  unref(): void;
}

// The benchmark's own addon (binding.gyp's pytrace_bench, bench/native/): not
// part of the library's, built beside it; this file runs from bench/dist/bench.
const addon = createRequire(__filename)('../../../build/Release/pytrace_bench.node');
const SyntheticSource: new (
  options: {
    records: number;
    pid?: number;
    inlineNames?: boolean;
    calls?: boolean;
    batchBytes?: number;
    maxPendingBatches?: number;
  },
  onMessage: NativeMessage,
) => SyntheticSourceLike = addon.SyntheticSource;

/**
 * What consumes: the raw batches, the decoder, or a Trace's listener; names
 * once per frame (the ring buffer's name cache) or inline in every record.
 * Timed from start() to the last record's arrival in JS.
 */
export type ConsumerPath = 'batches' | 'decode' | 'trace' | 'trace-inline' | 'trace-calls' | 'trace-calls-untimed';

export interface CapacityResult {
  path: ConsumerPath;
  records: number;
  seconds: number;
  perSecond: number;
  lost: number;
}

export async function measureCapacity(path: ConsumerPath, records: number): Promise<CapacityResult> {
  let received = 0;
  let t1 = 0n;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  let source: SyntheticSourceLike;
  let onMessage: NativeMessage;
  let lost = 0;

  // Our own pid: a process in our PID namespace, as a traced one usually is.
  const calls = path === 'trace-calls' || path === 'trace-calls-untimed';
  const options = {
    records,
    pid: process.pid,
    inlineNames: path === 'trace-inline',
    calls,
    batchBytes: DEFAULTS.batchBytes,
    maxPendingBatches: DEFAULTS.maxPendingBatches,
  };
  if (path === 'trace' || path === 'trace-inline' || calls) {
    // The real Trace class, with the synthetic source in place of the native trace.
    let trace!: Trace;
    onMessage = (kind, buffer, n) => trace.onMessage(kind, buffer, n);
    source = new SyntheticSource(options, onMessage);
    trace = new Trace(
      process.pid,
      calls ? ['function-entry', 'function-return'] : ['function-return'],
      {} as Description,
      'ring',
      source as unknown as NativeTrace,
    );
    // Entries and returns both traced: the Trace pairs them for durationNs; untimed, that step taken out.
    if (path === 'trace-calls-untimed') trace.calls = null; // as attach() does with durations: false
    const count = (ev: FrameEvent) => {
      if (ev.lineno >= 0) received++;
    };
    trace.on('function-return', count);
    if (calls) trace.on('function-entry', count);
    trace.once('exit', () => (t1 = process.hrtime.bigint()));
    trace.once('close', () => {
      lost = trace.stats().lost;
      done();
    });
  } else {
    const decoder = new BatchDecoder();
    const each = (ev: { type: string }) => {
      if (ev.type) received++;
    };
    onMessage = (kind, buffer, n) => {
      if (kind === 'batch') {
        if (path === 'decode') decoder.decode(buffer!, each);
        else received += n;
      } else if (kind === 'exit') {
        t1 = process.hrtime.bigint();
        lost = source.stats().lost;
        source.close();
      } else done();
    };
    source = new SyntheticSource(options, onMessage);
  }
  const t0 = process.hrtime.bigint();
  source.start();
  await withTimeout(finished, 300000, 'the synthetic source');
  if (received !== records) throw new Error(`synthetic source: ${received} of ${records} records arrived`);
  const seconds = Number(t1 - t0) / 1e9;
  return { path, records, seconds, perSecond: records / seconds, lost };
}
