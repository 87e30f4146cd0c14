import { TIME_BUCKETS } from './histogram.js';
import type { Aggregate, MetricDef, MetricType } from './metrics.js';
import { XFR_METRICS } from '../xfr/metrics.js';
import { BLOCKING_METRICS } from '../blocking/metrics.js';
import { CONSOLE_METRICS } from '../console/metrics.js';

/**
 * Every horizond metric family, in one table: `horizond_<subsystem>_<name>_<unit|total>`.
 * Sources (observability/sources/*) fill them at scrape time; docs/operations.md lists them and
 * a test keeps the two in step and lints every name. Labels are bounded: view, configured zone,
 * qtype (known set + other), rcode, source, upstream, listener — never a client or a qname.
 */

function m(type: MetricType, name: string, help: string, labelNames: readonly string[] = [], buckets?: readonly number[]): MetricDef {
  const aggregate = AGGREGATE[name];
  const def: MetricDef = buckets === undefined ? { name, help, type, labelNames } : { name, help, type, labelNames, buckets };
  return aggregate === undefined ? def : { ...def, aggregate };
}

/**
 * With several workers every family is summed over them, except these: the same value in every
 * worker (configuration, zones, build) is reported once, per-worker readings are averaged or
 * the worst one kept.
 */
const AGGREGATE: Readonly<Record<string, Aggregate>> = {
  horizond_upstream_srtt_seconds: 'average',
  horizond_upstream_healthy: 'min',
  horizond_config_reloads_total: 'first',
  horizond_config_last_reload_successful: 'first',
  horizond_config_last_reload_success_timestamp_seconds: 'first',
  horizond_zone_serial: 'first',
  horizond_zone_load_failed: 'first',
  horizond_build_info: 'first',
};

const c = (name: string, help: string, labels?: readonly string[]): MetricDef => m('counter', name, help, labels);
const g = (name: string, help: string, labels?: readonly string[]): MetricDef => m('gauge', name, help, labels);

const LISTENER = ['protocol', 'listener'];
const UPSTREAM = ['upstream'];
const VIEW = ['view'];

export const HORIZOND_METRICS: readonly MetricDef[] = Object.freeze([
  // The request path (observability/query-stats.ts, counted once per answer in the Responder).
  c('horizond_dns_responses_total', 'Responses sent, by answer source and response code.', ['source', 'rcode']),
  c('horizond_dns_queries_total', 'Queries answered, by question type (common types by name, the rest as "other").', ['qtype']),
  m('histogram', 'horizond_dns_response_duration_seconds', 'Time from receiving a query to handing its response to the transport, by answer source.', ['source'], TIME_BUCKETS),
  c('horizond_dns_dropped_total', 'Queries that got no response (responses sent to us, runts, shutdown).'),
  c('horizond_dns_malformed_total', 'Queries answered FORMERR because they could not be read or broke the protocol.'),
  c('horizond_dns_handler_errors_total', 'Queries whose handling threw (answered SERVFAIL).'),
  c('horizond_view_queries_total', 'Responses sent, by the split-horizon view of the client.', VIEW),

  // Split horizon (view/views.ts ViewCounters).
  c('horizond_view_translated_answers_total', 'Answers in which at least one address was translated (hairpin NAT), by view.', VIEW),
  c('horizond_view_translated_addresses_total', 'Addresses (A/AAAA records and SVCB hints) translated, by view.', VIEW),
  c('horizond_view_reverse_rewrites_total', 'PTR questions answered from the external address\'s reverse name (translateReverse), by view.', VIEW),
  c('horizond_view_local_chains_total', 'Forwarded or cached answers whose CNAME chain was completed from the view\'s zones.', VIEW),

  // Answer cache (resolver/cache/answer-cache.ts CacheCounters).
  g('horizond_cache_entries', 'Answers held in the cache.'),
  g('horizond_cache_size_bytes', 'Approximate memory held by cached answers.'),
  c('horizond_cache_hits_total', 'Cache lookups answered from a fresh entry.'),
  c('horizond_cache_misses_total', 'Cache lookups that found nothing usable.'),
  c('horizond_cache_evictions_total', 'Entries pushed out by the entry or byte limit.'),
  c('horizond_cache_stale_served_total', 'Stale answers served because upstreams failed or were slow (RFC 8767).'),
  c('horizond_cache_prefetches_total', 'Background refreshes started by a hit close to expiry.'),
  c('horizond_cache_coalesced_total', 'Clients that joined an upstream query already in flight for the same question.'),
  c('horizond_cache_scrubbed_records_total', 'Records removed from upstream answers before caching because they were not part of the answer to the question (off the CNAME chain, unrelated authority or additional records).'),
  c('horizond_cache_failure_hits_total', 'Queries answered SERVFAIL from a cached resolution failure.'),

  // Upstreams (resolver/upstream UpstreamStats, per configured server).
  c('horizond_upstream_queries_total', 'Queries sent to an upstream server (a retry over TCP counts again).', UPSTREAM),
  c('horizond_upstream_failures_total', 'Upstream attempts that failed: transport error or SERVFAIL/REFUSED/NOTIMP/FORMERR.', UPSTREAM),
  c('horizond_upstream_timeouts_total', 'Upstream attempts that got no answer in time.', UPSTREAM),
  m('histogram', 'horizond_upstream_rtt_seconds', 'Round-trip time of answered upstream queries.', UPSTREAM, TIME_BUCKETS),
  g('horizond_upstream_srtt_seconds', 'Smoothed round-trip time used to pick the upstream.', UPSTREAM),
  g('horizond_upstream_healthy', '1 while the upstream is selectable, 0 while it is marked down.', UPSTREAM),
  c('horizond_upstream_rejected_total', 'Upstream responses ignored: wrong source, ID or question (RFC 5452), or malformed.', UPSTREAM),
  c('horizond_upstream_truncated_total', 'Truncated UDP answers retried over TCP.', UPSTREAM),
  c('horizond_upstream_connections_total', 'TCP/TLS connections and HTTP/2 sessions opened to the upstream.', UPSTREAM),
  g('horizond_upstream_inflight_queries', 'Distinct upstream resolutions in progress.'),

  // DNS rebinding protection (resolver/rebinding.ts).
  c('horizond_rebinding_filtered_answers_total', 'Upstream answers with private addresses removed.'),
  c('horizond_rebinding_blocked_answers_total', 'Upstream answers left empty by the filter (answered NODATA with EDE 15).'),
  c('horizond_rebinding_removed_addresses_total', 'Private addresses removed from upstream answers.'),

  // Dynamic updates and TSIG.
  c('horizond_updates_total', 'RFC 2136 updates, by zone and result (the RCODE sent, lower case: noerror, refused, notauth, yxrrset...).', ['zone', 'result']),
  c('horizond_tsig_failures_total', 'Messages whose TSIG failed verification, by reason (badkey, badsig, badtime, badtrunc, formerr).', ['reason']),
  c('horizond_update_refusals_total', 'Refused or failed updates, by reason (policy, prerequisite, static record, ...).', ['reason']),
  c('horizond_update_journal_commits_total', 'Journal group commits (one fsync each).'),
  c('horizond_update_journal_compactions_total', 'Journal compactions (snapshot written, journal truncated).'),
  c('horizond_update_journal_tails_cut_total', 'Interrupted final journal appends (never acknowledged) cut at startup.'),
  g('horizond_update_journal_damaged', '1 for each zone not served because its journal is damaged before its end (journal.onCorrupt: refuse), 0 for the other zones with a journal.', ['zone']),
  c('horizond_update_journal_write_errors_total', 'Journal writes that failed (a full disk, an I/O error); their updates were answered SERVFAIL and nothing was applied.'),
  c('horizond_update_journal_truncations_total', 'Journals damaged before their end that were served from their last good record (journal.onCorrupt: truncate).'),
  c('horizond_update_scavenged_total', 'Dynamic names removed by scavenging.'),

  // Configuration and zones (server.ts, runtime.ts).
  c('horizond_config_reloads_total', 'Configuration reloads, by result (ok, error).', ['result']),
  g('horizond_config_last_reload_successful', '1 when the last reload was applied, 0 when it was refused and the previous configuration kept serving.'),
  g('horizond_config_last_reload_success_timestamp_seconds', 'Unix time of the last successful configuration load (the start, before any reload).'),
  g('horizond_zone_serial', 'SOA serial of each zone being served.', ['zone']),
  g('horizond_zone_load_failed', '1 for each configured zone whose last load failed (the previous version, if any, keeps serving).', ['zone']),
  g('horizond_build_info', 'Always 1; the labels carry the horizond and Node.js versions.', ['version', 'nodejs']),
  c('horizond_metrics_collect_errors_total', 'Subsystem reports that failed during a scrape (their samples are missing from that scrape).'),

  // Transport (transport/udp-server.ts, tcp-server.ts counters, per listener).
  c('horizond_transport_received_total', 'DNS messages received, by listener.', LISTENER),
  c('horizond_transport_sent_total', 'Responses written, by listener.', LISTENER),
  c('horizond_transport_dropped_total', 'Messages received that got no response, by listener.', LISTENER),
  c('horizond_transport_errors_total', 'Socket and handler errors, by listener.', LISTENER),
  c('horizond_transport_late_answers_total', 'Answers that were ready after their socket or connection had closed.', LISTENER),
  c('horizond_tcp_connections_accepted_total', 'TCP connections accepted.', ['listener']),
  c('horizond_tcp_connections_rejected_total', 'TCP connections closed at once: `limit` every slot had work in flight, `client` the client already held `server.tcp.maxConnectionsPerClient`.', ['listener', 'reason']),
  g('horizond_tcp_connections_active', 'TCP connections open now.', ['listener']),
  c('horizond_tcp_connections_closed_total', 'TCP connections closed by the server, by reason: `idle` (idle timeout, shortened under pressure), `slow` (a message did not arrive whole within `server.tcp.messageTimeout`), `evicted` (closed to make room for a new connection at the limit), `malformed`, `overflow` (the client did not read its answers).', ['listener', 'reason']),
  c('horizond_tcp_read_pauses_total', 'Times reading a TCP connection paused at the pipelining limit.', ['listener']),
  c('horizond_tcp_read_yields_total', 'Times a connection\'s reading yielded to other work after `server.tcp.messagesPerTurn` messages.', ['listener']),

  // Zone transfers, NOTIFY, secondary zones and update forwarding (xfr/metrics.ts).
  ...XFR_METRICS,

  // Blocklists (blocking/metrics.ts).
  ...BLOCKING_METRICS,

  // Console and HTTP API (console/metrics.ts).
  ...CONSOLE_METRICS,
]);
