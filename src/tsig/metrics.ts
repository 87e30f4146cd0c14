import type { MetricsSink, MetricsSource } from '../observability/metrics.js';

/** Why a signed message failed verification (the TSIG error it was answered with, or formerr). */
export const TSIG_FAILURE_REASONS = ['badkey', 'badsig', 'badtime', 'badtrunc', 'formerr'] as const;
export type TsigFailureReason = (typeof TSIG_FAILURE_REASONS)[number];

/**
 * TSIG counters: plain integers bumped where messages are verified (the tsig stage; the update
 * stage for replays, answered BADTIME) and read at scrape time. One instance lives as long as
 * the process; it outlives config reloads.
 */
export class TsigCounters {
  /** Signed messages (queries and updates) that verified. */
  verified = 0;
  /** Signed messages whose TSIG failed, by reason. */
  readonly failures: Record<TsigFailureReason, number> = { badkey: 0, badsig: 0, badtime: 0, badtrunc: 0, formerr: 0 };
}

/**
 * `horizond_tsig_verified_total` and `horizond_tsig_failures_total{reason}` (every reason is
 * published, 0 when it never happened).
 */
export function tsigSource(get: () => TsigCounters | null): MetricsSource {
  return {
    collect(sink: MetricsSink): void {
      const c = get();
      if (c === null) return;
      sink.value('horizond_tsig_verified_total', null, c.verified);
      for (const reason of TSIG_FAILURE_REASONS) sink.value('horizond_tsig_failures_total', { reason }, c.failures[reason]);
    },
  };
}
