import type { CacheStats } from '../../resolver/cache/answer-cache.js';
import type { RebindingCounters } from '../../resolver/rebinding.js';
import type { UpstreamStats } from '../../resolver/upstream/types.js';
import type { DurationHistogram } from '../histogram.js';
import type { MetricsSink, MetricsSource } from '../metrics.js';

/**
 * Sources for the forwarding side: the answer cache, the upstream servers and the rebinding
 * filter. Each takes a getter so it always reads the runtime serving now (cache counters are
 * carried across reloads; upstream counters start again with a new runtime, which Prometheus
 * handles as a counter reset).
 */

/** Cache counters and fill (Resolver.stats() fits). */
export function cacheSource(get: () => (CacheStats & { inFlight?: number }) | null): MetricsSource {
  return {
    collect(sink: MetricsSink): void {
      const s = get();
      if (s === null) return;
      sink.value('horizond_cache_entries', null, s.entries);
      sink.value('horizond_cache_size_bytes', null, s.bytes);
      sink.value('horizond_cache_hits_total', null, s.hits);
      sink.value('horizond_cache_misses_total', null, s.misses);
      sink.value('horizond_cache_evictions_total', null, s.evictions);
      sink.value('horizond_cache_stale_served_total', null, s.staleServed);
      sink.value('horizond_cache_prefetches_total', null, s.prefetches);
      sink.value('horizond_cache_coalesced_total', null, s.coalesced);
      sink.value('horizond_cache_failure_hits_total', null, s.failureHits);
      sink.value('horizond_cache_scrubbed_records_total', null, s.scrubbed);
      if (s.inFlight !== undefined) sink.value('horizond_upstream_inflight_queries', null, s.inFlight);
    },
  };
}

/** An upstream's counters, with its RTT histogram when the upstream keeps one. */
export type UpstreamMetrics = UpstreamStats & { readonly rtt?: DurationHistogram };

/**
 * Per-upstream counters, labelled with the upstream's display name. A server listed in several
 * groups (default and a forward domain) is one series: its numbers are added up.
 */
export function upstreamSource(get: () => Iterable<UpstreamMetrics>): MetricsSource {
  return {
    collect(sink: MetricsSink): void {
      for (const u of merge(get())) {
        const labels = { upstream: u.name };
        sink.value('horizond_upstream_queries_total', labels, u.queries);
        sink.value('horizond_upstream_failures_total', labels, u.failures);
        sink.value('horizond_upstream_timeouts_total', labels, u.timeouts);
        sink.value('horizond_upstream_rejected_total', labels, u.rejected);
        sink.value('horizond_upstream_truncated_total', labels, u.truncated);
        sink.value('horizond_upstream_connections_total', labels, u.connections);
        sink.value('horizond_upstream_srtt_seconds', labels, u.srttMs / 1000);
        sink.value('horizond_upstream_healthy', labels, u.healthy);
        if (u.rttCounts !== null) sink.histogram('horizond_upstream_rtt_seconds', labels, u.rttCounts, u.rttSum);
      }
    },
  };
}

interface Merged {
  name: string; queries: number; failures: number; timeouts: number; rejected: number; truncated: number;
  connections: number; srttMs: number; healthy: number; rttCounts: Float64Array | null; rttSum: number;
}

function merge(list: Iterable<UpstreamMetrics>): Iterable<Merged> {
  const byName = new Map<string, Merged>();
  for (const u of list) {
    let m = byName.get(u.name);
    if (m === undefined) {
      m = { name: u.name, queries: 0, failures: 0, timeouts: 0, rejected: 0, truncated: 0, connections: 0, srttMs: 0, healthy: 1, rttCounts: null, rttSum: 0 };
      byName.set(u.name, m);
    }
    m.queries += u.queries;
    m.failures += u.failures;
    m.timeouts += u.timeouts;
    m.rejected += u.rejected;
    m.truncated += u.truncated;
    m.connections += u.connections;
    m.srttMs = Math.max(m.srttMs, u.srttMs);
    m.healthy = Math.min(m.healthy, u.healthy);
    if (u.rtt !== undefined) {
      m.rttCounts ??= new Float64Array(u.rtt.counts.length);
      for (let i = 0; i < m.rttCounts.length; i++) m.rttCounts[i]! += u.rtt.counts[i] ?? 0;
      m.rttSum += u.rtt.sum;
    }
  }
  return byName.values();
}

/** The rebinding filter's counters. */
export function rebindingSource(get: () => Pick<RebindingCounters, 'filtered' | 'blocked' | 'removed'> | null): MetricsSource {
  return {
    collect(sink: MetricsSink): void {
      const c = get();
      if (c === null) return;
      sink.value('horizond_rebinding_filtered_answers_total', null, c.filtered);
      sink.value('horizond_rebinding_blocked_answers_total', null, c.blocked);
      sink.value('horizond_rebinding_removed_addresses_total', null, c.removed);
    },
  };
}
