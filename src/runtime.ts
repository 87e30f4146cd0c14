import type { Config, ZoneConfig } from './config/types.js';
import type { Logger } from './observability/log.js';
import type { QueryLogOutput } from './querylog/output.js';
import type { QueryStats } from './observability/query-stats.js';
import { buildPipeline, type BuiltPipeline, type PipelineDeps } from './pipeline/build.js';
import type { Relay } from './pipeline/stages/relay.js';
import { loadZones, type ZoneLoadFailure } from './zone/catalog.js';
import { ZoneStore } from './zone/store.js';
import { ZoneFileCache } from './zone/file-cache.js';
import { loadViews } from './view/load.js';
import type { ViewSet } from './view/views.js';
import { keyringFromConfig } from './tsig/signer.js';
import type { UpdateManager } from './update/manager.js';
import type { ReplicationManager } from './xfr/manager.js';
import type { BlockingManager } from './blocking/manager.js';

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
  /** The zone files as last read (handed to the next Runtime: unchanged files are not read again). */
  readonly zoneFiles: ZoneFileCache;
  close(): Promise<void>;
}

export interface RuntimeEnv {
  log: Logger;
  stats: QueryStats;
  previous?: Runtime | null;
  /** The Server's query log output (null or absent: no query log). */
  queryLog?: QueryLogOutput | null;
  /** Dynamic data of the zones that take updates; lives as long as the Server. */
  updates: UpdateManager;
  /** Zone transfers, NOTIFY and secondary zones; lives as long as the Server. */
  replication: ReplicationManager;
  /** Query workers: where UPDATE and NOTIFY go (the owner worker). */
  relay?: Relay | null;
  /** Forwarding hooks for tests and embedding (clock, upstream groups, budget). */
  resolver?: PipelineDeps['resolver'];
  /** Blocklists; lives as long as the Server. */
  blocking?: BlockingManager | null;
}

/** `forward.upstreams: system`: which nameservers are used, and a warning for each left out. */
function logSystemUpstreams(config: Config, log: Logger): void {
  const sys = config.forward.system;
  if (sys === null) return;
  const flog = log.child({ component: 'forward' });
  for (const reason of sys.skipped) flog.warn({ resolvConf: sys.resolvConf }, `forward.upstreams: system: skipping nameserver ${reason}`);
  const upstreams = config.forward.upstreams.map((u) => u.id);
  if (upstreams.length === 0) flog.warn({ resolvConf: sys.resolvConf }, 'forward.upstreams: system: no usable nameserver; recursive queries get REFUSED as with no upstreams');
  else flog.info({ resolvConf: sys.resolvConf, upstreams }, 'forwarding to the system nameservers');
}

export async function buildRuntime(config: Config, env: RuntimeEnv): Promise<Runtime> {
  const zoneLog = env.log.child({ component: 'zone' });
  const prev = env.previous?.zones;
  const zoneFiles = env.previous?.zoneFiles ?? new ZoneFileCache();
  const loaded = loadZones(config.zones, zoneLog, prev ? (name) => prev.get(name) : undefined, zoneFiles);
  if (env.previous) zoneLog.info({ unchanged: loaded.unchanged }, `${loaded.unchanged.length} zone(s) unchanged, not read again`);
  // Zones that take updates come back with their journaled records on top of the file's.
  const served = env.updates.adopt(config.zones, loaded.zones, config.server.journal);
  const zones = new ZoneStore(served);
  const keyring = keyringFromConfig(config.keys);
  env.replication.adopt(config, served, keyring);
  const { views, failures: viewFailures } = loadViews(config, zones, zoneLog, env.previous?.views ?? null, zoneFiles);
  zoneFiles.retain([...config.zones, ...config.views.list.flatMap((v) => v.zones)]);
  // Every store serving zones gets new versions from updates and transfers as they happen.
  // (Views without zones of their own share the global store.)
  const stores = new Map<ZoneStore, readonly ZoneConfig[]>([[zones, config.zones]]);
  for (const vc of config.views.list) {
    const store = views.get(vc.name)?.zones;
    if (store !== undefined && !stores.has(store)) stores.set(store, vc.zones);
  }
  for (const [store, configs] of stores) {
    env.updates.attach(store);
    env.replication.attach(store, configs);
  }
  logSystemUpstreams(config, env.log);
  // Lists follow the config; the site's own zones are never blocked.
  env.blocking?.adopt(config.blocking, views.zoneNames());
  const pipeline = buildPipeline({
    config, views, zones, keyring, stats: env.stats, log: env.log,
    updates: env.updates, replication: env.replication, relay: env.relay ?? null,
    previous: env.previous?.pipeline ?? null, queryLog: env.queryLog ?? null, blocking: env.blocking ?? null,
    ...(env.resolver ? { resolver: env.resolver } : {}),
  });
  return {
    config,
    zones,
    views,
    pipeline,
    zoneFailures: [...loaded.failures, ...env.updates.failures(), ...viewFailures],
    zoneFiles,
    async close() {
      for (const store of stores.keys()) {
        env.updates.detach(store);
        env.replication.detach(store);
      }
      await pipeline.close();
    },
  };
}
