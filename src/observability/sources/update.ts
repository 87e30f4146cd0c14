import type { MetricsSink, MetricsSource } from '../metrics.js';

/** One (zone, result) count of RFC 2136 updates. `result` is the RCODE sent, lower case. */
export interface UpdateCount {
  readonly zone: string;
  readonly result: string;
  readonly count: number;
}

/** Dynamic updates by zone and result. Updates are rare, so the counts may live in a Map. */
export function updateSource(get: () => Iterable<UpdateCount>): MetricsSource {
  return {
    collect(sink: MetricsSink): void {
      for (const u of get()) sink.value('horizond_updates_total', { zone: u.zone, result: u.result }, u.count);
    },
  };
}

/** TSIG verification failures. Reasons: `badkey`, `badsig`, `badtime`, `badtrunc`, `formerr`. */
export const TSIG_FAILURE_REASONS = ['badkey', 'badsig', 'badtime', 'badtrunc', 'formerr'] as const;
export type TsigFailureReason = (typeof TSIG_FAILURE_REASONS)[number];

/** TSIG failures by reason; every reason is published (0 when it never happened). */
export function tsigSource(get: () => Readonly<Partial<Record<TsigFailureReason, number>>> | null): MetricsSource {
  return {
    collect(sink: MetricsSink): void {
      const f = get();
      if (f === null) return;
      for (const reason of TSIG_FAILURE_REASONS) sink.value('horizond_tsig_failures_total', { reason }, f[reason] ?? 0);
    },
  };
}
