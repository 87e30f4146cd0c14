import { rcodeToString, typeToString } from '../../wire/constants.js';
import type { MetricsSink, MetricsSource } from '../metrics.js';
import type { QueryStats } from '../query-stats.js';

/** Publishes the request path's QueryStats: responses, qtypes, views, durations, drops. */
export function queryStatsSource(stats: QueryStats): MetricsSource {
  return {
    collect(sink: MetricsSink): void {
      for (const e of stats.entries()) sink.value('horizond_dns_responses_total', { source: e.source, rcode: rcodeToString(e.rcode) }, e.value);
      for (const e of stats.qtypeEntries()) {
        sink.value('horizond_dns_queries_total', { qtype: e.qtype === 'other' ? 'other' : typeToString(e.qtype) }, e.value);
      }
      for (const e of stats.durationEntries()) sink.histogram('horizond_dns_response_duration_seconds', { source: e.source }, e.counts, e.sum);
      for (const e of stats.viewEntries()) sink.value('horizond_view_queries_total', { view: e.view }, e.value);
      sink.value('horizond_dns_dropped_total', null, stats.dropped);
      sink.value('horizond_dns_malformed_total', null, stats.formerr);
      sink.value('horizond_dns_cookies_total', { result: 'client-only' }, stats.cookiesClientOnly);
      sink.value('horizond_dns_cookies_total', { result: 'valid' }, stats.cookiesValid);
      sink.value('horizond_dns_cookies_total', { result: 'invalid' }, stats.cookiesInvalid);
      sink.value('horizond_dns_rate_limited_total', { action: 'truncate' }, stats.rateLimitedTruncated);
      sink.value('horizond_dns_rate_limited_total', { action: 'refuse' }, stats.rateLimitedRefused);
    },
  };
}
