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
