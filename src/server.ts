import { loadConfig } from './config/index.js';
import type { Config } from './config/types.js';
import { createLogger, type Logger } from './observability/log.js';
import { Readiness } from './observability/health.js';
import { OpsHttpServer } from './observability/http.js';
import { Metrics } from './observability/metrics.js';
import { QueryLogOutput } from './observability/query-log.js';
import { QueryStats } from './observability/query-stats.js';
import { ReloadStats } from './observability/reloads.js';
import { queryStatsSource } from './observability/sources/query.js';
import { cacheSource, rebindingSource, upstreamSource } from './observability/sources/resolver.js';
import { serverSource } from './observability/sources/server.js';
import { transportSource } from './observability/sources/transport.js';
import { viewSource } from './observability/sources/views.js';
import { packageVersion } from './observability/version.js';
import { updateSource, tsigSource } from './observability/sources/update.js';
import type { Role } from './cluster/messages.js';
import { QueryContext, TransportKind, type ReplySink } from './pipeline/context.js';
import { Dispatcher } from './pipeline/dispatcher.js';
import type { Relay } from './pipeline/stages/relay.js';
import type { JournalRecord } from './update/journal-format.js';
import { keyringFromConfig } from './pipeline/stages/tsig.js';
import { UpdateManager } from './update/manager.js';
import { updateDetailSource } from './update/metrics.js';
import { ReplicationManager } from './xfr/manager.js';
import { DataDirLock } from './util/data-dir-lock.js';
import { xfrSource } from './xfr/metrics.js';
import { buildRuntime, type Runtime } from './runtime.js';
import { BlockingManager } from './blocking/manager.js';
import { blockingSource } from './blocking/metrics.js';
import { ConsoleServer } from './console/server.js';
import { consoleSource } from './console/metrics.js';
import type { ConsoleBackend, ServedZone } from './console/backend.js';
import { startListeners, type Listeners } from './transport/listeners.js';
import { codeOf } from './errors/index.js';

export interface ServerOptions {
  log?: Logger;
  /**
   * `single` (default): the only process. With `server.workers` > 1: `owner` is a complete
   * server; `query` answers UDP only, reads the journals without writing them, sends no NOTIFY
   * and transfers nothing, takes no data directory lock and serves no metrics endpoint.
   */
  role?: Role;
  /** Query workers: hands UPDATE and NOTIFY to the owner (pipeline stage `relay`). */
  relay?: Relay | null;
  /** Owner: sees the journal records of every committed batch of updates (answered when it settles). */
  committed?: (zone: string, records: readonly JournalRecord[]) => void | Promise<void>;
  /** Fields on every log line of this process (the worker's id and role). */
  logFields?: Record<string, unknown>;
}

/**
 * The daemon: one config file, one set of listeners, a Runtime that is rebuilt on reload and
 * swapped behind the Dispatcher. Startup errors are fatal; reload errors are logged, counted,
 * and the running Runtime keeps serving.
 */
export class Server {
  readonly stats: QueryStats;
  readonly log: Logger;
  readonly reloads = new ReloadStats();
  /** Prometheus metrics of this server (its own registry). */
  readonly metrics = new Metrics();
  /** Ready once loaded and bound, and every secondary zone has been served once (from disk or a transfer). */
  readonly readiness = new Readiness(() => {
    for (const z of this.replication.statuses()) if (!z.available) return `waiting for the first transfer of ${z.zone}`;
    return this.blocking.waiting();
  }, () => {
    for (const [zone] of this.updates.damaged()) return `journal of ${zone} is damaged; the zone is not served`;
    for (const zone of this.replication.damagedHistories()) return `IXFR history of ${zone} is damaged`;
    return null;
  });
  readonly queryLog: QueryLogOutput;
  /** Dynamic zone data and journals, kept across reloads. */
  readonly updates: UpdateManager;
  /** Transfers, NOTIFY and secondary zones, kept across reloads. */
  readonly replication: ReplicationManager;
  /** Blocklists, kept across reloads. */
  readonly blocking: BlockingManager;
  #ops: OpsHttpServer | null = null;
  /** The web console and HTTP API (owner/single only), null when off or its port was taken. */
  #console: ConsoleServer | null = null;
  #consoleAddress: { address: string; port: number } | null = null;
  readonly #startedAt = Date.now();
  /** Our claim on server.dataDir (released on stop). */
  #lock: DataDirLock | null = null;
  #opsAddress: { address: string; port: number } | null = null;
  #runtime: Runtime;
  #dispatcher: Dispatcher;
  #listeners: Listeners | null = null;
  #stopping: Promise<void> | null = null;
  #reloading: Promise<boolean> | null = null;
  readonly #configFile: string;
  readonly #role: Role;
  readonly #relay: Relay | null;

  private constructor(configFile: string, runtime: Runtime, log: Logger, stats: QueryStats, queryLog: QueryLogOutput, updates: UpdateManager, replication: ReplicationManager, blocking: BlockingManager, opts: ServerOptions) {
    this.blocking = blocking;
    this.#configFile = configFile;
    this.#role = opts.role ?? 'single';
    this.#relay = opts.relay ?? null;
    this.updates = updates;
    this.replication = replication;
    this.stats = stats;
    this.#runtime = runtime;
    this.log = log;
    this.#dispatcher = new Dispatcher(runtime.pipeline, log.child({ component: 'pipeline' }));
    this.queryLog = queryLog;
    // Sources read the runtime serving now at every scrape, so reloads need no re-registration.
    this.metrics.add(queryStatsSource(stats));
    this.metrics.add(serverSource(this, packageVersion()));
    this.metrics.add(transportSource(() => this.#listeners));
    this.metrics.add(cacheSource(() => this.#runtime.pipeline.resolver?.stats() ?? null));
    this.metrics.add(upstreamSource(() => this.#runtime.pipeline.resolver?.upstreamStats() ?? []));
    this.metrics.add(rebindingSource(() => this.#runtime.pipeline.rebinding?.counters ?? null));
    this.metrics.add(viewSource(() => this.#runtime.views.views));
    this.metrics.add(updateSource(() => updates.counters.results()));
    this.metrics.add(tsigSource(() => updates.counters.tsig));
    this.metrics.add(updateDetailSource(updates.counters, () => updates.journals()));
    this.metrics.add(xfrSource(replication.counters, () => replication.statuses(), () => replication.damagedHistories()));
    this.metrics.add(blockingSource(blocking));
    this.metrics.add(consoleSource(() => this.#console?.counters ?? null));
    this.readiness.loaded();
  }

  /** Loads config and zones and builds the first runtime (throws ConfigError on bad config). */
  static async create(configFile: string, opts: ServerOptions = {}): Promise<Server> {
    const config = await loadConfig(configFile);
    const base = opts.log ?? createLogger(config.log.level);
    const logger = opts.logFields ? base.child(opts.logFields) : base;
    const query = opts.role === 'query';
    const stats = new QueryStats();
    const queryLog = new QueryLogOutput();
    // The owner of the data directory holds the lock; query workers only read it.
    const lock = query ? null : await DataDirLock.acquire(config.server.dataDir);
    const updates = new UpdateManager({
      dataDir: config.server.dataDir, log: logger, readOnly: query, ...(opts.committed ? { committed: opts.committed } : {}),
    });
    // NOTIFYs wait for the listeners: the secondaries ask for our SOA as soon as they get one.
    const replication = new ReplicationManager({ keyring: keyringFromConfig(config.keys), log: logger, holdNotify: true, passive: query });
    updates.attach(replication.feed); // replication sees every committed update
    const relay = opts.relay ?? null;
    const blocking = new BlockingManager({ dataDir: config.server.dataDir, log: logger });
    try {
      const runtime = await buildRuntime(config, { log: logger, stats, queryLog, updates, replication, relay, blocking });
      // Local lists and saved copies are compiled before the ports open, so the first query is
      // already filtered (downloads never hold the start: they run later, in the background).
      await blocking.settled();
      const server = new Server(configFile, runtime, logger, stats, queryLog, updates, replication, blocking, opts);
      server.#lock = lock;
      return server;
    } catch (err) {
      await blocking.close();
      await replication.close();
      await updates.close();
      await lock?.release();
      throw err;
    }
  }

  /** `single`, or this worker's part when `server.workers` > 1. */
  get role(): Role {
    return this.#role;
  }

  get runtime(): Runtime {
    return this.#runtime;
  }

  get config(): Config {
    return this.#runtime.config;
  }

  get listeners(): Listeners | null {
    return this.#listeners;
  }

  /** Where the console and HTTP API are served (null when off or failed). */
  get consoleAddress(): { address: string; port: number } | null {
    return this.#consoleAddress;
  }

  /** Where /metrics, /healthz and /readyz are served (null when metrics are off or failed). */
  get metricsAddress(): { address: string; port: number } | null {
    return this.#opsAddress;
  }

  /**
   * Runs a message another worker received through this server's request path as if it had come
   * from its client over UDP; resolves with the answer, or null when none is sent.
   */
  handleRelayed(msg: Buffer, address: string, port: number, family: 4 | 6): Promise<Buffer | null> {
    return new Promise((resolve) => {
      const ctx = new QueryContext();
      const sink: ReplySink = { reply: (_c, wire) => resolve(wire), dropped: () => resolve(null) };
      ctx.reset(msg, address, port, family, TransportKind.Udp, sink, null, performance.now());
      this.#dispatcher.handle(ctx);
    });
  }

  /** Queries whose handling threw (answered SERVFAIL). */
  get handlerErrors(): number {
    return this.#dispatcher.panics;
  }

  async listen(): Promise<Listeners> {
    const c = this.config.server;
    const query = this.#role === 'query';
    if (!query) await this.#startOps();
    try {
      this.#listeners = await startListeners(
        // Query workers share the UDP sockets; TCP (transfers, long streams) is the owner's.
        c.listen
          .map((l) => ({ address: l.address, port: l.port, protocols: l.protocols.filter((p) => !query || p === 'udp') }))
          .filter((l) => l.protocols.length > 0),
        this.#dispatcher,
        {
          logger: this.log.child({ component: 'transport' }),
          tcp: {
            idleTimeoutMs: c.tcp.idleTimeout * 1000,
            minIdleTimeoutMs: c.tcp.minIdleTimeout * 1000,
            messageTimeoutMs: c.tcp.messageTimeout * 1000,
            maxConnections: c.tcp.maxConnections,
            maxConnectionsPerClient: c.tcp.maxConnectionsPerClient,
            maxInflightPerConnection: c.tcp.maxPipelined,
            messagesPerTurn: c.tcp.messagesPerTurn,
          },
        },
      );
    } catch (err) {
      await this.#ops?.close();
      throw err;
    }
    this.readiness.listening();
    this.replication.releaseNotify();
    if (!query) await this.#startConsole();
    return this.#listeners;
  }

  /** What the console reads of this server: functions, so it always sees the runtime serving now. */
  #consoleBackend(): ConsoleBackend {
    return {
      version: packageVersion(),
      startedAt: this.#startedAt,
      stats: this.stats,
      updates: this.updates,
      zones: () => servedZones(this.#runtime),
      secondaries: () => this.replication.statuses(),
      cache: () => this.#runtime.pipeline.resolver?.cache ?? null,
      cacheStats: () => this.#runtime.pipeline.resolver?.stats() ?? null,
      upstreams: () => this.#runtime.pipeline.resolver?.upstreamStats() ?? [],
      views: () => this.#runtime.views.views.map((v) => v.name),
      health: () => {
        const h = this.readiness.status();
        return { ready: h.ready, reason: h.ready ? null : h.state };
      },
    };
  }

  /**
   * The console, started after the DNS ports. Like the metrics endpoint, a taken port or a bad
   * certificate costs the console, not DNS: logged, and DNS keeps serving.
   */
  async #startConsole(): Promise<void> {
    const c = this.config.console;
    if (!c.enabled || this.#console !== null) return;
    let con: ConsoleServer | null = null;
    try {
      con = new ConsoleServer({ config: c, dataDir: this.config.server.dataDir, backend: this.#consoleBackend(), log: this.log.child({ component: 'console' }) });
      this.#consoleAddress = await con.start();
      this.#console = con;
    } catch (err) {
      await con?.close().catch(() => undefined);
      this.log.error({ err: (err as Error).message }, 'serving DNS without the console and HTTP API');
    }
  }

  /**
   * The operations listener (/metrics, /healthz, /readyz), started before the DNS ports so
   * /healthz answers while they are bound. A taken port costs the metrics, not DNS: logged,
   * and the probes will tell.
   */
  async #startOps(): Promise<void> {
    const m = this.config.metrics;
    if (!m.enabled || this.#ops !== null) return;
    const ops = new OpsHttpServer({ address: m.listen.address, port: m.listen.port, metrics: this.metrics, health: this.readiness, log: this.log.child({ component: 'metrics' }) });
    try {
      this.#opsAddress = await ops.start();
      this.#ops = ops;
    } catch (err) {
      this.log.error({ err }, 'serving DNS without metrics and health endpoints');
    }
  }

  /** Re-reads config and zones; on any error the running runtime stays. Returns success. */
  reload(): Promise<boolean> {
    this.#reloading ??= this.#reload().finally(() => { this.#reloading = null; });
    return this.#reloading;
  }

  async #reload(): Promise<boolean> {
    let next: Runtime;
    try {
      const config = await loadConfig(this.#configFile);
      next = await buildRuntime(config, {
        log: this.log, stats: this.stats, previous: this.#runtime, queryLog: this.queryLog,
        updates: this.updates, replication: this.replication, relay: this.#relay, blocking: this.blocking,
      });
    } catch (err) {
      this.reloads.record(false);
      this.log.error({ result: 'error', code: codeOf(err) }, `reload refused, the running configuration stays: ${(err as Error).message}`);
      return false;
    }
    const old = this.#runtime;
    this.#runtime = next;
    this.#dispatcher.swap(next.pipeline);
    this.reloads.record(true);
    this.log.info({ result: 'ok', zones: zoneSummary(next) }, 'reloaded');
    void old.close();
    return true;
  }

  /** Stops accepting, lets in-flight answers out, releases everything. */
  stop(graceMs = 3000): Promise<void> {
    this.#stopping ??= (async () => {
      this.readiness.stopping();
      await this.#listeners?.close({ graceMs });
      await this.#runtime.close();
      await this.blocking.close();
      await this.updates.close(); // queued updates finish and are journaled (and seen by replication)
      await this.replication.close(); // then their IXFR history records are written
      await this.#lock?.release();
      await this.#console?.close();
      await this.#ops?.close();
      await this.queryLog.close();
    })();
    return this.#stopping;
  }
}

/** Every zone served now, for the console: global zones, then the zones only one view serves. */
function servedZones(rt: Runtime): ServedZone[] {
  const configs = new Map([...rt.config.zones, ...rt.config.views.list.flatMap((v) => v.zones)].map((z) => [z.name, z]));
  const info = (key: string) => {
    const zc = configs.get(key);
    return { type: zc?.type ?? 'primary', allowTransfer: (zc?.allowTransfer ?? null) !== null } as const;
  };
  const out: ServedZone[] = [...rt.zones.zones()].map((zone) => ({ zone, view: null, ...info(zone.key) }));
  for (const v of rt.views.views) {
    for (const zone of v.zones.zones()) if (v.ownZones.has(zone.key)) out.push({ zone, view: v.name, ...info(zone.key) });
  }
  return out;
}

/** Every zone served, with its view when only that view serves it. */
export function zoneSummary(rt: Runtime): { name: string; view?: string; serial: number; records: number }[] {
  const out: { name: string; view?: string; serial: number; records: number }[] =
    [...rt.zones.zones()].map((z) => ({ name: z.origin, serial: z.serial, records: z.records().length }));
  for (const v of rt.views.views) {
    for (const z of v.zones.zones()) {
      if (v.ownZones.has(z.key)) out.push({ name: z.origin, view: v.name, serial: z.serial, records: z.records().length });
    }
  }
  return out;
}
