import type { MetricsSink, MetricsSource } from '../metrics.js';
import type { ReloadStats } from '../reloads.js';

/** What the server source reads: the Server itself fits (structurally). */
export interface ServerMetricsTarget {
  readonly reloads: ReloadStats;
  /** The runtime serving now (read at every scrape, so a reload is picked up). */
  readonly runtime: {
    readonly zones: { zones(): Iterable<{ readonly origin: string; readonly serial: number }> };
    readonly zoneFailures: readonly { readonly name: string }[];
  };
  /** Queries whose handling threw (the Dispatcher's count), when the server exposes it. */
  readonly handlerErrors?: number;
}

/** Publishes reload results, zone serials and load failures, and build information. */
export function serverSource(target: ServerMetricsTarget, version = 'unknown'): MetricsSource {
  const build = { version, nodejs: process.version };
  return {
    collect(sink: MetricsSink): void {
      const r = target.reloads;
      sink.value('horizond_config_reloads_total', { result: 'ok' }, r.ok);
      sink.value('horizond_config_reloads_total', { result: 'error' }, r.error);
      sink.value('horizond_config_last_reload_successful', null, r.lastSuccessful ? 1 : 0);
      sink.value('horizond_config_last_reload_success_timestamp_seconds', null, r.lastSuccessSeconds);
      const rt = target.runtime;
      const failed = new Set(rt.zoneFailures.map((f) => f.name));
      const served = new Set<string>();
      for (const z of rt.zones.zones()) {
        const zone = z.origin.toLowerCase();
        served.add(zone);
        sink.value('horizond_zone_serial', { zone }, z.serial);
        sink.value('horizond_zone_load_failed', { zone }, failed.has(zone) ? 1 : 0);
      }
      for (const name of failed) if (!served.has(name)) sink.value('horizond_zone_load_failed', { zone: name }, 1);
      if (target.handlerErrors !== undefined) sink.value('horizond_dns_handler_errors_total', null, target.handlerErrors);
      sink.value('horizond_build_info', build, 1);
    },
  };
}
