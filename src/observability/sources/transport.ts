import type { Listeners } from '../../transport/listeners.js';
import type { CertificateStore } from '../../transport/certificates.js';
import type { TlsCounters } from '../../transport/tls-guard.js';
import type { MetricsSink, MetricsSource } from '../metrics.js';

/**
 * Publishes the listeners' counters, labelled `protocol` and `listener` (`address:port`).
 * `get` returns the current listeners, or null before they are bound.
 */
export function transportSource(get: () => Listeners | null): MetricsSource {
  return {
    collect(sink: MetricsSink): void {
      const l = get();
      if (l === null) return;
      const bound = l.bound();
      // startListeners records bound addresses in the order it starts servers of each protocol.
      const udpNames = bound.filter((b) => b.protocol === 'udp').map((b) => hostPort(b.address, b.port));
      const tcpNames = bound.filter((b) => b.protocol === 'tcp').map((b) => hostPort(b.address, b.port));
      const dohNames = bound.filter((b) => b.protocol === 'https').map((b) => hostPort(b.address, b.port));
      const dotNames = bound.filter((b) => b.protocol === 'tls').map((b) => hostPort(b.address, b.port));
      l.udp.forEach((s, i) => {
        const labels = { protocol: 'udp', listener: udpNames[i] ?? String(i) };
        const c = s.counters;
        sink.value('horizond_transport_received_total', labels, c.received);
        sink.value('horizond_transport_sent_total', labels, c.sent);
        sink.value('horizond_transport_dropped_total', labels, c.dropped);
        sink.value('horizond_transport_errors_total', labels, c.errors);
        sink.value('horizond_transport_late_answers_total', labels, c.late);
      });
      l.tcp.forEach((s, i) => {
        const listener = tcpNames[i] ?? String(i);
        const labels = { protocol: 'tcp', listener };
        const c = s.counters;
        sink.value('horizond_transport_received_total', labels, c.received);
        sink.value('horizond_transport_sent_total', labels, c.sent);
        sink.value('horizond_transport_dropped_total', labels, c.dropped);
        sink.value('horizond_transport_errors_total', labels, c.errors);
        sink.value('horizond_transport_late_answers_total', labels, c.late);
        sink.value('horizond_tcp_connections_accepted_total', { listener }, c.accepted);
        sink.value('horizond_tcp_connections_rejected_total', { listener, reason: 'limit' }, c.rejected);
        sink.value('horizond_tcp_connections_rejected_total', { listener, reason: 'client' }, c.clientRejected);
        sink.value('horizond_tcp_connections_active', { listener }, c.active);
        sink.value('horizond_tcp_connections_closed_total', { listener, reason: 'idle' }, c.idleClosed);
        sink.value('horizond_tcp_connections_closed_total', { listener, reason: 'malformed' }, c.malformed);
        sink.value('horizond_tcp_connections_closed_total', { listener, reason: 'overflow' }, c.overflows);
        sink.value('horizond_tcp_connections_closed_total', { listener, reason: 'slow' }, c.slowClosed);
        sink.value('horizond_tcp_connections_closed_total', { listener, reason: 'evicted' }, c.evicted);
        sink.value('horizond_tcp_read_pauses_total', { listener }, c.pauses);
        sink.value('horizond_tcp_read_yields_total', { listener }, c.yields);
      });
      l.dot.forEach((s, i) => {
        const listener = dotNames[i] ?? String(i);
        const labels = { protocol: 'dot', listener };
        const c = s.counters;
        sink.value('horizond_transport_received_total', labels, c.received);
        sink.value('horizond_transport_sent_total', labels, c.sent);
        sink.value('horizond_transport_dropped_total', labels, c.dropped);
        sink.value('horizond_transport_errors_total', labels, c.errors);
        sink.value('horizond_transport_late_answers_total', labels, c.late);
        sink.value('horizond_dot_connections_closed_total', { listener, reason: 'idle' }, c.idleClosed);
        sink.value('horizond_dot_connections_closed_total', { listener, reason: 'malformed' }, c.malformed);
        sink.value('horizond_dot_connections_closed_total', { listener, reason: 'overflow' }, c.overflows);
        sink.value('horizond_dot_connections_closed_total', { listener, reason: 'slow' }, c.slowClosed);
        sink.value('horizond_dot_connections_closed_total', { listener, reason: 'evicted' }, c.evicted);
        tlsGuard(sink, 'dot', listener, s.guard.counters);
      });
      l.doh.forEach((s, i) => {
        const listener = dohNames[i] ?? String(i);
        const labels = { protocol: 'doh', listener };
        const c = s.counters;
        sink.value('horizond_transport_received_total', labels, c.received);
        sink.value('horizond_transport_sent_total', labels, c.sent);
        sink.value('horizond_transport_dropped_total', labels, c.dropped);
        sink.value('horizond_transport_errors_total', labels, c.errors);
        sink.value('horizond_transport_late_answers_total', labels, c.late);
        for (const [status, n] of [['400', c.status400], ['404', c.status404], ['405', c.status405], ['413', c.status413], ['414', c.status414], ['415', c.status415]] as const) {
          sink.value('horizond_doh_requests_refused_total', { listener, status }, n);
        }
        sink.value('horizond_doh_requests_by_version_total', { listener, version: '2' }, c.http2);
        sink.value('horizond_doh_requests_by_version_total', { listener, version: '1.1' }, c.http1);
        sink.value('horizond_doh_requests_by_method_total', { listener, method: 'GET' }, c.get);
        sink.value('horizond_doh_requests_by_method_total', { listener, method: 'POST' }, c.post);
        sink.value('horizond_doh_forwarded_total', { listener, result: 'used' }, c.forwarded);
        sink.value('horizond_doh_forwarded_total', { listener, result: 'ignored' }, c.forwardedIgnored);
        tlsGuard(sink, 'doh', listener, s.guard.counters);
      });
    },
  };
}

/** The DoT/DoH certificate: reloads by result and the expiry of the one in use. */
export function certificateSource(get: () => CertificateStore | null): MetricsSource {
  return {
    collect(sink: MetricsSink): void {
      const store = get();
      if (store === null) return;
      sink.value('horizond_tls_certificate_reloads_total', { result: 'ok' }, store.counters.reloadsOk);
      sink.value('horizond_tls_certificate_reloads_total', { result: 'error' }, store.counters.reloadsError);
      sink.value('horizond_tls_certificate_expiry_timestamp_seconds', {}, Math.floor(store.current.notAfter.getTime() / 1000));
    },
  };
}

/** The TLS accept-time counters of one DoT or DoH listener. */
function tlsGuard(sink: MetricsSink, protocol: 'dot' | 'doh', listener: string, c: TlsCounters): void {
  const labels = { protocol, listener };
  sink.value('horizond_tls_handshakes_total', labels, c.handshakes);
  sink.value('horizond_tls_sessions_resumed_total', labels, c.resumed);
  sink.value('horizond_tls_handshake_failures_total', labels, c.handshakeFailures);
  sink.value('horizond_tls_handshake_timeouts_total', labels, c.handshakeTimeouts);
  sink.value('horizond_tls_connections_rejected_total', labels, c.rejected);
  sink.value('horizond_tls_connections_handshaking', labels, c.handshaking);
  sink.value('horizond_tls_connections_active', labels, c.established);
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
