import type { ViewCounters } from '../../view/views.js';
import type { MetricsSink, MetricsSource } from '../metrics.js';

/** What the view source reads of each view (view/views.ts View fits). */
export interface ViewMetrics {
  readonly name: string;
  readonly counters: Pick<ViewCounters, 'translatedAnswers' | 'translatedAddresses' | 'reverseRewrites' | 'localChains'>;
}

/** Split-horizon translation counters per view (the views of the runtime serving now). */
export function viewSource(get: () => Iterable<ViewMetrics>): MetricsSource {
  return {
    collect(sink: MetricsSink): void {
      for (const v of get()) {
        const labels = { view: v.name };
        const c = v.counters;
        sink.value('horizond_view_translated_answers_total', labels, c.translatedAnswers);
        sink.value('horizond_view_translated_addresses_total', labels, c.translatedAddresses);
        sink.value('horizond_view_reverse_rewrites_total', labels, c.reverseRewrites);
        sink.value('horizond_view_local_chains_total', labels, c.localChains);
      }
    },
  };
}
