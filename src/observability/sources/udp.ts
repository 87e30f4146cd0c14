import type { Listeners } from '../../transport/listeners.js';
import type { UdpBackend } from '../../transport/udp-backend.js';
import type { MetricsSink, MetricsSource } from '../metrics.js';

/**
 * The UDP backend in use (`horizond_udp_backend_info{backend}` = 1) and the native backend's own
 * counters per listener (batches, cut datagrams, the send queue), read at scrape time.
 */
export function udpBackendSource(backend: () => UdpBackend | null, listeners: () => Listeners | null): MetricsSource {
  return {
    collect(sink: MetricsSink): void {
      const b = backend();
      if (b === null) return;
      sink.value('horizond_udp_backend_info', { backend: b }, 1);
      const l = listeners();
      if (l === null) return;
      const names = l.bound().filter((x) => x.protocol === 'udp').map((x) => (x.address.includes(':') ? `[${x.address}]:${x.port}` : `${x.address}:${x.port}`));
      l.udp.forEach((s, i) => {
        if (s.backend !== 'native') return;
        const labels = { listener: names[i] ?? String(i) };
        const n = s.nativeStats();
        sink.value('horizond_udp_batches_total', labels, n.batches);
        sink.value('horizond_udp_truncated_total', labels, n.truncated);
        sink.value('horizond_udp_send_queued_total', labels, n.queued);
        sink.value('horizond_udp_send_queue_dropped_total', labels, n.queueDropped);
        sink.value('horizond_udp_send_queue_length', labels, n.queueLength);
      });
    },
  };
}
