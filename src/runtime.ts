import type { Config } from './config/types.js';
import type { Logger } from './observability/log.js';
import type { QueryLogOutput } from './observability/query-log.js';
import type { QueryStats } from './observability/query-stats.js';
import { buildPipeline, type BuiltPipeline } from './pipeline/build.js';
import { loadZones, type ZoneLoadFailure } from './zone/catalog.js';
import { ZoneStore } from './zone/store.js';
import { loadViews } from './view/load.js';
import type { ViewSet } from './view/views.js';

/**
 * Everything one version of the configuration serves: zones and the request pipeline. A reload
 * builds a complete new Runtime beside the running one and swaps it in; if anything fails the
 * old one keeps serving (Knot's "errors from a config change are reported and the service keeps
 * running").
 */
export interface Runtime {
  readonly config: Config;
  readonly zones: ZoneStore;
  readonly views: ViewSet;
  readonly pipeline: BuiltPipeline;
  readonly zoneFailures: readonly ZoneLoadFailure[];
  close(): Promise<void>;
}

export interface RuntimeEnv {
  log: Logger;
  stats: QueryStats;
  previous?: Runtime | null;
  /** The Server's query log output (null or absent: no query log). */
  queryLog?: QueryLogOutput | null;
}

export async function buildRuntime(config: Config, env: RuntimeEnv): Promise<Runtime> {
  const zoneLog = env.log.child({ component: 'zone' });
  const prev = env.previous?.zones;
  const loaded = loadZones(config.zones, zoneLog, prev ? (name) => prev.get(name) : undefined);
  const zones = new ZoneStore(loaded.zones);
  const { views, failures: viewFailures } = loadViews(config, zones, zoneLog, env.previous?.views ?? null);
  const pipeline = buildPipeline({ config, views, stats: env.stats, log: env.log, previous: env.previous?.pipeline ?? null, queryLog: env.queryLog ?? null });
  return {
    config,
    zones,
    views,
    pipeline,
    zoneFailures: [...loaded.failures, ...viewFailures],
    async close() {
      await pipeline.close();
    },
  };
}
