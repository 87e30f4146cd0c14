import type { Zone } from '../zone/zone.js';
import { diffSize, serialOf, type ZoneDiff } from './diff.js';

/** Bounds of one zone's IXFR history; beyond them the oldest differences are dropped. */
export interface HistoryLimits {
  /** Differences kept. */
  maxDiffs: number;
  /** Records (deleted + added + SOAs) kept over all differences. */
  maxRecords: number;
}

export const historyDefaults: HistoryLimits = { maxDiffs: 500, maxRecords: 100_000 };

/**
 * The recent differences of one zone, oldest first, each leading to the next: what an IXFR
 * answer is made of. It describes one chain of versions ending at `latest`; an IXFR is answered
 * from it only for exactly that Zone object (a client of another view, or a version that came
 * in between unseen, gets an AXFR instead). In memory only: after a restart the first transfer
 * of each secondary is an AXFR.
 */
export class XfrHistory {
  #diffs: ZoneDiff[] = [];
  #records = 0;
  #latest: Zone | null = null;
  readonly #limits: HistoryLimits;

  constructor(limits: HistoryLimits = historyDefaults) {
    this.#limits = limits;
  }

  /** The version the history leads to (null before the first one is seen). */
  get latest(): Zone | null {
    return this.#latest;
  }

  get length(): number {
    return this.#diffs.length;
  }

  /** Forgets every difference; `zone` becomes the start of a new chain. */
  reset(zone: Zone | null): void {
    this.#diffs = [];
    this.#records = 0;
    this.#latest = zone;
  }

  /**
   * Adds the difference that leads from `latest` to `next`. When `diff` does not start at the
   * latest version, or the serial did not move, the chain is broken and starts again at `next`.
   */
  push(next: Zone, diff: ZoneDiff): void {
    const latest = this.#latest;
    if (latest === null || serialOf(diff.from) !== latest.serial || serialOf(diff.to) !== next.serial || next.serial === latest.serial) {
      this.reset(next);
      return;
    }
    this.#diffs.push(diff);
    this.#records += diffSize(diff);
    this.#latest = next;
    while (this.#diffs.length > this.#limits.maxDiffs || (this.#records > this.#limits.maxRecords && this.#diffs.length > 0)) {
      this.#records -= diffSize(this.#diffs.shift()!);
    }
  }

  /**
   * Moves the end of the chain to `next` when it holds the same data as `latest` (`diff`, from
   * latest to next, is empty and the SOA is the same): a reload that changed nothing. Returns
   * false (and changes nothing) otherwise.
   */
  rebase(next: Zone, diff: ZoneDiff): boolean {
    const same = diff.deleted.length === 0 && diff.added.length === 0 && diff.from.ttl === diff.to.ttl
      && Buffer.compare(diff.from.rdata, diff.to.rdata) === 0;
    if (same) this.#latest = next;
    return same;
  }

  /**
   * The differences from version `serial` up to `zone`, or null when the history does not reach
   * back that far or does not end at `zone` (answer with the whole zone then).
   */
  since(serial: number, zone: Zone): readonly ZoneDiff[] | null {
    if (zone !== this.#latest) return null;
    const d = this.#diffs;
    for (let i = d.length - 1; i >= 0; i--) {
      if (serialOf(d[i]!.from) === serial >>> 0) return d.slice(i);
    }
    return null;
  }
}
