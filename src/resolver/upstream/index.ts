/**
 * The forwarder's upstream clients: UDP (TCP on TC=1), TCP, DNS over TLS (RFC 7858) and DNS over
 * HTTPS (RFC 8484), behind one `UpstreamGroup` that selects servers by health and smoothed RTT.
 *
 * `query()` outcome, in short (details in exchange.ts):
 * - resolves with the first answer whose RCODE is not SERVFAIL/REFUSED/NOTIMP/FORMERR
 *   (NOERROR and NXDOMAIN included), as the upstream sent it;
 * - SERVFAIL/REFUSED/NOTIMP/FORMERR, timeouts and errors fail over to the next server while
 *   attempts and budget last;
 * - resolves with an upstream SERVFAIL (wire, rcode 2) only if nothing better came;
 * - otherwise rejects with UpstreamError: HZ_ERR_UPSTREAM_TIMEOUT (every attempt timed out or the
 *   budget ran out), HZ_ERR_UPSTREAM_FAILED (errors, TLS verification, only REFUSED & co.),
 *   HZ_ERR_UPSTREAM_CLOSED (group closed). `reasons` lists each attempt's outcome.
 */
export type {
  UpstreamSpec, UpstreamQuestion, UpstreamResult, UpstreamStats, UpstreamLogger, UpstreamGroupOptions,
} from './types.js';
export { UpstreamError, type UpstreamErrorCode } from './errors.js';
export { UpstreamGroup } from './group.js';
