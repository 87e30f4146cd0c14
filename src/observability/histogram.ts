/**
 * Fixed-bucket histograms kept as plain numbers: observing is a short scan over a small sorted
 * array and one increment, no label keys and no objects. Metrics publish them at scrape time.
 */

/**
 * Upper bounds (seconds) shared by every duration histogram: response time by answer source and
 * upstream round trips. From 100 µs (a cache hit) to 5 s (past any upstream timeout worth having).
 */
export const TIME_BUCKETS: readonly number[] = Object.freeze([
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
]);

/**
 * Index of the bucket `seconds` falls in: the first bound >= seconds, or bounds.length (+Inf).
 * Pass a Float64Array on hot paths: V8 scans it several times faster than a (frozen) array.
 */
export function bucketIndex(bounds: ArrayLike<number>, seconds: number): number {
  let i = 0;
  const n = bounds.length;
  while (i < n && seconds > bounds[i]!) i++;
  return i;
}

/**
 * One histogram of durations. `counts[i]` holds the observations of bucket i only (not
 * cumulative); `counts[bounds.length]` those above the last bound. Use one per label set,
 * created at construction time.
 */
export class DurationHistogram {
  readonly bounds: readonly number[];
  readonly counts: Float64Array;
  sum = 0;
  readonly #upper: Float64Array;

  constructor(bounds: readonly number[] = TIME_BUCKETS) {
    this.bounds = bounds;
    this.#upper = Float64Array.from(bounds);
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(seconds: number): void {
    this.counts[bucketIndex(this.#upper, seconds)]!++;
    this.sum += seconds;
  }

  /** Observations so far. */
  get count(): number {
    let n = 0;
    for (let i = 0; i < this.counts.length; i++) n += this.counts[i]!;
    return n;
  }
}
