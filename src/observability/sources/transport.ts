import type { Listeners } from '../../transport/listeners.js';
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
    },
  };
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
