import { answerSourceNames } from '../pipeline/context.js';

/**
 * Query counters kept as plain integers on the hot path and read at scrape time (prom-client's
 * `inc(labels)` builds a label key per call; this costs one array increment).
 * Dimensions: answer source × rcode, and qtype (a fixed set of common types + "other").
 */
export const TRACKED_QTYPES = [1, 2, 5, 6, 12, 15, 16, 28, 33, 35, 43, 48, 64, 65, 99, 255, 252, 251, 257, 49] as const;
const QTYPE_SLOT = new Int8Array(65536).fill(-1);
TRACKED_QTYPES.forEach((t, i) => { QTYPE_SLOT[t] = i; });
const OTHER = TRACKED_QTYPES.length;
const RCODES = 24;

export class QueryStats {
  /** [source * RCODES + rcode] */
  readonly bySourceRcode = new Float64Array(answerSourceNames.length * RCODES);
  readonly byQtype = new Float64Array(TRACKED_QTYPES.length + 1);
  dropped = 0;
  formerr = 0;
  /** Durations per source, summed in seconds, for a cheap average before histograms exist. */
  readonly durationSum = new Float64Array(answerSourceNames.length);

  count(source: number, rcode: number, qtype: number, seconds: number): void {
    this.bySourceRcode[source * RCODES + (rcode < RCODES ? rcode : RCODES - 1)]!++;
    const slot = QTYPE_SLOT[qtype]!;
    this.byQtype[slot < 0 ? OTHER : slot]!++;
    this.durationSum[source]! += seconds;
  }

  /** Total answers counted with this source (any rcode). */
  totalFor(source: number): number {
    let n = 0;
    for (let r = 0; r < RCODES; r++) n += this.bySourceRcode[source * RCODES + r]!;
    return n;
  }

  /** Snapshot as label sets, for metrics collection and tests. */
  *entries(): Generator<{ source: string; rcode: number; value: number }> {
    for (let s = 0; s < answerSourceNames.length; s++) {
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
}
