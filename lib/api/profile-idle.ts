/**
 * A profile's `idle` sampling: off-CPU threads, which the CPU clock never
 * samples. A timer, `hz` times a second of wall time, walks every thread of
 * the profiled processes with the thread dump's iterator (the same frame
 * walker) and keeps the threads that were not on a CPU as they were walked:
 * the running ones are the CPU-clock sampler's, so no thread is sampled twice.
 */
import { layout, NativeTrace } from '../native';
import { decodeSample, RawSample, SAMPLE_SIZE } from '../stream/samples';

const SENT = layout.sampling.values.PT_SAMPLES_SENT;
/** Node's timers go no finer than a millisecond. */
const MIN_PERIOD_MS = 1;

export class IdleSampler {
  private timer: NodeJS.Timeout;
  /** Timer ticks; threads walked off the CPU; walks that failed. */
  ticks = 0;
  taken = 0;
  failed = 0;

  constructor(
    hz: number,
    private native: () => NativeTrace | null,
    private pids: () => Iterable<number>,
    private deliver: (s: RawSample) => void,
  ) {
    this.timer = setInterval(() => this.tick(), Math.max(MIN_PERIOD_MS, 1000 / hz));
    this.timer.unref();
  }

  private tick(): void {
    const native = this.native();
    if (!native) return;
    this.ticks++;
    for (const pid of this.pids()) {
      let records: Buffer;
      try {
        records = native.dumpThreads(pid);
      } catch {
        continue; // the process is gone; its exit closes the profile or drops it
      }
      const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
      for (let at = 0; at + SAMPLE_SIZE <= records.length;) {
        const size = view.getUint16(at, true);
        const s = size >= SAMPLE_SIZE ? decodeSample(view, at, size) : null;
        if (!s) break;
        at += size;
        if (s.onCpu) continue;
        if (s.status !== SENT) {
          this.failed++;
          continue;
        }
        this.taken++;
        this.deliver(s);
      }
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
