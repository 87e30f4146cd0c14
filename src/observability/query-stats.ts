import { answerSourceNames } from '../pipeline/context.js';
import { bucketIndex, TIME_BUCKETS } from './histogram.js';

/**
 * Query counters kept as plain integers on the hot path and read at scrape time (prom-client's
 * `inc(labels)` builds a label key per call; this costs a few array increments).
 * Dimensions: answer source × rcode, qtype (a fixed set of common types + "other"), view (a
 * stable slot per view name, see ViewSlotMap), and response time by source in fixed buckets.
 * One QueryStats lives as long as the Server, so counts survive reloads.
 */
export const TRACKED_QTYPES = [1, 2, 5, 6, 12, 15, 16, 28, 33, 35, 43, 48, 64, 65, 99, 255, 252, 251, 257, 49] as const;
const QTYPE_SLOT = new Int8Array(65536).fill(-1);
TRACKED_QTYPES.forEach((t, i) => { QTYPE_SLOT[t] = i; });
const OTHER = TRACKED_QTYPES.length;
const RCODES = 24;
const SOURCES = answerSourceNames.length;
/** Response-time buckets (seconds), shared with the metric definition. */
export const DURATION_BOUNDS = TIME_BUCKETS;
const UPPER = Float64Array.from(DURATION_BOUNDS);
const SLOTS = DURATION_BOUNDS.length + 1;

export class QueryStats {
  /** [source * RCODES + rcode] */
  readonly bySourceRcode = new Float64Array(SOURCES * RCODES);
  readonly byQtype = new Float64Array(TRACKED_QTYPES.length + 1);
  dropped = 0;
  formerr = 0;
  /** Queries with a DNS cookie: client cookie only, a valid server cookie, an invalid one (cookies stage). */
  cookiesClientOnly = 0;
  cookiesValid = 0;
  cookiesInvalid = 0;
  /** Queries past their client's rate limit, answered TC=1 / REFUSED (rate-limit stage). */
  rateLimitedTruncated = 0;
  rateLimitedRefused = 0;
  /** Durations per source, summed in seconds. */
  readonly durationSum = new Float64Array(SOURCES);
  /** [source * (bounds + 1) + bucket]: responses per duration bucket (not cumulative). */
  readonly durationBuckets = new Float64Array(SOURCES * SLOTS);
  #byView = new Float64Array(8);
  readonly #viewNames: string[] = [];

  /**
   * Counts one response. `view` is a slot from viewSlot()/ViewSlotMap, or -1 when the query has
   * no view (not counted per view).
   */
  count(source: number, rcode: number, qtype: number, seconds: number, view = -1): void {
    this.bySourceRcode[source * RCODES + (rcode < RCODES ? rcode : RCODES - 1)]!++;
    const slot = QTYPE_SLOT[qtype]!;
    this.byQtype[slot < 0 ? OTHER : slot]!++;
    this.durationSum[source]! += seconds;
    this.durationBuckets[source * SLOTS + bucketIndex(UPPER, seconds)]!++;
    if (view >= 0) this.#byView[view]!++;
  }

  /** Total answers counted with this source (any rcode). */
  totalFor(source: number): number {
    let n = 0;
    for (let r = 0; r < RCODES; r++) n += this.bySourceRcode[source * RCODES + r]!;
    return n;
  }

  /**
   * The stable slot of a view name (allocated on first use, kept across reloads so a view's
   * count never resets; cold path: called when a pipeline is built).
   */
  viewSlot(name: string): number {
    let i = this.#viewNames.indexOf(name);
    if (i >= 0) return i;
    i = this.#viewNames.push(name) - 1;
    if (i >= this.#byView.length) {
      const grown = new Float64Array(this.#byView.length * 2);
      grown.set(this.#byView);
      this.#byView = grown;
    }
    return i;
  }

  /** Snapshot as label sets, for metrics collection and tests. */
  *entries(): Generator<{ source: string; rcode: number; value: number }> {
    for (let s = 0; s < SOURCES; s++) {
      for (let r = 0; r < RCODES; r++) {
        const v = this.bySourceRcode[s * RCODES + r]!;
        if (v > 0) yield { source: answerSourceNames[s]!, rcode: r, value: v };
      }
    }
  }

  *qtypeEntries(): Generator<{ qtype: number | 'other'; value: number }> {
    for (let i = 0; i <= OTHER; i++) {
      const v = this.byQtype[i]!;
      if (v > 0) yield { qtype: i === OTHER ? 'other' : TRACKED_QTYPES[i]!, value: v };
    }
  }

  /** Responses per view name (views seen so far, including those with no responses yet). */
  *viewEntries(): Generator<{ view: string; value: number }> {
    for (let i = 0; i < this.#viewNames.length; i++) yield { view: this.#viewNames[i]!, value: this.#byView[i]! };
  }

  /** Sources with at least one response: their bucket counts (not cumulative) and sum. */
  *durationEntries(): Generator<{ source: string; counts: Float64Array; sum: number }> {
    for (let s = 0; s < SOURCES; s++) {
      const counts = this.durationBuckets.subarray(s * SLOTS, (s + 1) * SLOTS);
      if (counts.some((n) => n > 0)) yield { source: answerSourceNames[s]!, counts, sum: this.durationSum[s]! };
    }
  }
}

/**
 * Maps the views of one pipeline (by `View.index`) to QueryStats slots; built once per
 * pipeline. When the view stage is left out of the chain (one view for everyone), a query's
 * `ctx.view` stays null and counts for that only view; otherwise null means no view matched.
 */
export class ViewSlotMap {
  readonly #slots: Int32Array;
  readonly #unmatched: number;

  constructor(stats: QueryStats, viewNames: readonly string[], viewStageInChain: boolean) {
    this.#slots = Int32Array.from(viewNames, (n) => stats.viewSlot(n));
    this.#unmatched = !viewStageInChain && this.#slots.length > 0 ? this.#slots[0]! : -1;
  }

  /** The slot for a query's `ctx.view` (`View` fits), or null. */
  of(view: { readonly index: number } | null): number {
    return view === null ? this.#unmatched : this.#slots[view.index] ?? -1;
  }
}
