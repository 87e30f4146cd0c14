/**
 * Public shapes of the upstream clients (the forwarder's view of "a server to ask").
 */

import type { DurationHistogram } from '../../observability/histogram.js';

/** One configured upstream server. */
export interface UpstreamSpec {
  /** Label for logs and metrics; unique within a group. */
  name: string;
  /** IP literal to connect to. Required for udp/tcp/tls; for https it overrides the URL's host. */
  address?: string;
  /** Port (53 for udp/tcp, 853 for tls, 443 for https by convention). For https the URL port wins when given. */
  port: number;
  protocol: 'udp' | 'tcp' | 'tls' | 'https';
  /** TLS: name to verify in the certificate and to send as SNI (https: defaults to the URL host). */
  serverName?: string;
  /** https: the DoH URI template without variables, e.g. `https://dns.example/dns-query`. */
  url?: string;
  /** https: POST (default) or GET with `?dns=` base64url (RFC 8484 §4.1). */
  method?: 'POST' | 'GET';
  /** TLS/https: PEM file with the CA(s) to trust instead of the system store. */
  caFile?: string;
  /** TLS/https: CA PEM bytes (wins over caFile). */
  ca?: Buffer;
}

/** What to ask. */
export interface UpstreamQuestion {
  /** Presentation FQDN (trailing dot), case as the client sent it. */
  qname: string;
  qtype: number;
  qclass: number;
  /** EDNS DO bit to set on the upstream query. */
  do: boolean;
  /** CD header bit to set on the upstream query. */
  cd: boolean;
}

/** A usable upstream answer. */
export interface UpstreamResult {
  /** The upstream's full response, as received (its ID is the upstream query's, 0 for DoH). */
  wire: Buffer;
  /** Spec name of the server that answered. */
  upstream: string;
  /** Round trip of the attempt that produced `wire` (ms, rounded). */
  rttMs: number;
}

/** Per-upstream counters and state, plain integers for metrics (read at scrape time). */
export interface UpstreamStats {
  name: string;
  /** Attempts sent to this server (a TC=1 retry over TCP counts as another attempt). */
  queries: number;
  /** Attempts that ended in a transport error or an unusable RCODE (SERVFAIL, REFUSED, NOTIMP, FORMERR). */
  failures: number;
  /** Attempts that got no answer within their timeout. */
  timeouts: number;
  /** Sum of measured round trips of answered attempts (ms), for an average. */
  rttSum: number;
  /** Smoothed RTT used for selection (ms, rounded). */
  srttMs: number;
  /** 1 while the server is selectable, 0 while marked down. */
  healthy: number;
  /** Answers ignored because source, ID or question did not match (RFC 5452), short ones, and
   *  late answers to attempts that had already timed out. */
  rejected: number;
  /** UDP answers with TC=1 that were retried over TCP. */
  truncated: number;
  /** TCP/TLS connections or HTTP/2 sessions opened. */
  connections: number;
  /** Round trips of answered attempts (seconds), when the server keeps a histogram. */
  rtt?: DurationHistogram;
}

/** The subset of a pino logger the clients use. */
export interface UpstreamLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/** Group options. */
export interface UpstreamGroupOptions {
  /** Per-attempt timeout (ms). */
  timeoutMs: number;
  /** Rounds over the server list: each round tries every selectable server once. */
  attempts: number;
  logger?: UpstreamLogger;
  /** Clock (ms) for health back-off; defaults to performance.now. Deadlines and RTTs always use the real clock. */
  now?: () => number;
  /** Consecutive failures (timeouts, errors, REFUSED...) before a server is marked down. Default 3. */
  downAfter?: number;
  /** First back-off before a down server is probed again (ms, doubles per failed probe). Default 2000. */
  backoffMs?: number;
  /** Longest back-off (ms). Default 60000. */
  maxBackoffMs?: number;
  /** Idle time after which an unused TCP/TLS connection or HTTP/2 session is closed (ms). Default 10000. */
  idleMs?: number;
}
