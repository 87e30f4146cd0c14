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

/** Where a history is mirrored to (history-file.ts `HistoryFile`): told of every change, in order. */
export interface HistorySink {
  /** `diff` was added at the end; `kept` is the whole history after it (oldest ones trimmed). */
  pushed(diff: ZoneDiff, kept: readonly ZoneDiff[]): void;
  /** The history was emptied: a new chain starts. */
  cleared(): void;
}

/**
 * The recent differences of one zone, oldest first, each leading to the next: what an IXFR
 * answer is made of. It describes one chain of versions ending at `latest`; an IXFR is answered
 * from it only for exactly that Zone object (a client of another view, or a version that came
 * in between unseen, gets an AXFR instead). With a sink (a primary zone's `<zone>.ixfr` file)
 * every change is mirrored to it, and restore() takes the saved differences back after a restart.
 */
export class XfrHistory {
  #diffs: ZoneDiff[] = [];
  #records = 0;
  #latest: Zone | null = null;
  readonly #limits: HistoryLimits;
  readonly #sink: HistorySink | null;

  constructor(limits: HistoryLimits = historyDefaults, sink: HistorySink | null = null) {
    this.#limits = limits;
    this.#sink = sink;
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
    this.#sink?.cleared();
  }

  /**
   * Starts from differences saved before a restart (oldest first, each leading to the next)
   * when the last one leads to the serial `zone` is served with; otherwise the data changed
   * while they were not kept, and the history starts empty at `zone`. Returns true when restored.
   */
  restore(zone: Zone, diffs: readonly ZoneDiff[]): boolean {
    const last = diffs.at(-1);
    if (last === undefined || serialOf(last.to) !== zone.serial) {
      this.reset(zone);
      return false;
    }
    this.#diffs = [...diffs];
    this.#records = diffs.reduce((n, d) => n + diffSize(d), 0);
    this.#latest = zone;
    this.#trim();
    return true;
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
    this.#trim();
    this.#sink?.pushed(diff, this.#diffs);
  }

  /** Drops the oldest differences beyond the limits. */
  #trim(): void {
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
