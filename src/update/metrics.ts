import type { MetricsSink, MetricsSource } from '../observability/metrics.js';
import { REASONS, type Reason } from './outcome.js';

/** Zone label for updates naming a zone we do not serve (the label set stays bounded). */
export const OTHER_ZONE = 'other';

/**
 * Update and TSIG counters: plain integers bumped where things happen and read at scrape time.
 * One instance lives as long as the process (it outlives config reloads).
 */
export class UpdateCounters {
  /** UPDATE messages that reached a zone's queue. */
  received = 0;
  /** Updates that changed the zone (journaled, then served). */
  applied = 0;
  /** Updates that succeeded without changing anything (all prerequisites held, nothing to do). */
  unchanged = 0;
  /** Refused or failed updates by reason. */
  readonly refused: Record<Reason, number> = Object.fromEntries(REASONS.map((r) => [r, 0])) as Record<Reason, number>;
  /** Signed messages (queries and updates) whose TSIG failed, by TSIG status. */
  readonly tsig: Record<'formerr' | 'badkey' | 'badsig' | 'badtime' | 'badtrunc', number> = {
    formerr: 0, badkey: 0, badsig: 0, badtime: 0, badtrunc: 0,
  };
  /** Signed messages that verified. */
  tsigVerified = 0;
  /** Journal group commits (one fsync each) and the updates they carried. */
  commits = 0;
  committedUpdates = 0;
  /** Journal compactions done, and torn or corrupt journal tails cut at startup. */
  compactions = 0;
  journalTailsCut = 0;
  /** Journals damaged before their end that `onCorrupt: truncate` cut at their last good record. */
  journalTruncations = 0;
  /** Journal writes that failed (a full disk): their updates were answered SERVFAIL. */
  journalWriteErrors = 0;
  /** Dynamic names removed by scavenging. */
  scavenged = 0;
  /** Answers by zone and RCODE: `zone \0 rcode` → count (updates are rare: a Map is fine). */
  readonly #results = new Map<string, number>();

  /** Counts one answered update: `zone` as configured (or OTHER_ZONE), `result` the RCODE name. */
  result(zone: string, result: string): void {
    const k = `${zone}\0${result.toLowerCase()}`;
    this.#results.set(k, (this.#results.get(k) ?? 0) + 1);
  }

  /** `{ zone, result, count }` for every pair seen (the shape observability's updateSource reads). */
  *results(): IterableIterator<{ zone: string; result: string; count: number }> {
    for (const [k, count] of this.#results) {
      const i = k.indexOf('\0');
      yield { zone: k.slice(0, i), result: k.slice(i + 1), count };
    }
  }
}

/**
 * The update subsystem's own families, beyond `horizond_updates_total` and
 * `horizond_tsig_failures_total` (published by observability/sources/update.ts):
 * - `horizond_update_refusals_total{reason}`: see outcome.ts REASONS;
 * - `horizond_update_journal_commits_total`, `horizond_update_journal_compactions_total`,
 *   `horizond_update_journal_tails_cut_total`, `horizond_update_scavenged_total`;
 * - `horizond_update_journal_damaged{zone}` (1 while a zone is not served because its journal is
 *   damaged, 0 for every other zone with a journal), `horizond_update_journal_truncations_total` (damaged journals served from their
 *   last good record, `onCorrupt: truncate`), `horizond_update_journal_write_errors_total`
 *   (failed journal writes, e.g. a full disk: those updates got SERVFAIL).
 */
export function updateDetailSource(c: UpdateCounters, journals: () => Iterable<{ zone: string; damaged: boolean }> = () => []): MetricsSource {
  return {
    collect(sink: MetricsSink): void {
      for (const j of journals()) sink.value('horizond_update_journal_damaged', { zone: j.zone }, j.damaged ? 1 : 0);
      sink.value('horizond_update_journal_truncations_total', null, c.journalTruncations);
      sink.value('horizond_update_journal_write_errors_total', null, c.journalWriteErrors);
      for (const reason of REASONS) sink.value('horizond_update_refusals_total', { reason }, c.refused[reason]);
      sink.value('horizond_update_journal_commits_total', null, c.commits);
      sink.value('horizond_update_journal_compactions_total', null, c.compactions);
      sink.value('horizond_update_journal_tails_cut_total', null, c.journalTailsCut);
      sink.value('horizond_update_scavenged_total', null, c.scavenged);
    },
  };
}
