/** Small statistics for the benchmark: medians of repeated runs, percentiles, trends. */

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** (max - min) / median: how far apart the repeated runs were. */
export function spread(xs: number[]): number {
  if (xs.length < 2) return 0;
  return (Math.max(...xs) - Math.min(...xs)) / Math.abs(median(xs));
}

/** Nearest-rank percentile of an unsorted sample (p in 0..100). */
export function percentile(xs: Float64Array | number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = Float64Array.from(xs).sort();
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank];
}

/** Least-squares slope of y over x. */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** Keeps every k-th value in a fixed array: bounded memory over long runs. */
export class Sampler {
  readonly values: Float64Array;
  length = 0;
  private seen = 0;

  constructor(
    readonly every: number,
    capacity = 1 << 20,
  ) {
    this.values = new Float64Array(capacity);
    // Touch every page now: filling it later would look like the tracer's RSS growing.
    this.values.fill(-1);
  }

  /** True when this call's value should be taken (cheap test first, then take()). */
  due(): boolean {
    return this.seen++ % this.every === 0 && this.length < this.values.length;
  }

  take(v: number): void {
    this.values[this.length++] = v;
  }

  sample(): Float64Array {
    return this.values.subarray(0, this.length);
  }
}
