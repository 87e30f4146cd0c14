import { loadConfig } from './config/index.js';
import type { Config } from './config/types.js';
import { createLogger, type Logger } from './observability/log.js';
import { QueryStats } from './observability/query-stats.js';
import { Dispatcher } from './pipeline/dispatcher.js';
import { buildRuntime, type Runtime } from './runtime.js';
import { startListeners, type Listeners } from './transport/listeners.js';

/**
 * The daemon: one config file, one set of listeners, a Runtime that is rebuilt on reload and
 * swapped behind the Dispatcher. Startup errors are fatal; reload errors are logged, counted,
 * and the running Runtime keeps serving.
 */
export class Server {
  readonly stats: QueryStats;
  readonly log: Logger;
  reloads = { ok: 0, error: 0 };
  #runtime: Runtime;
  #dispatcher: Dispatcher;
  #listeners: Listeners | null = null;
  #stopping: Promise<void> | null = null;
  #reloading: Promise<boolean> | null = null;
  readonly #configFile: string;

  private constructor(configFile: string, runtime: Runtime, log: Logger, stats: QueryStats) {
    this.#configFile = configFile;
    this.stats = stats;
    this.#runtime = runtime;
    this.log = log;
    this.#dispatcher = new Dispatcher(runtime.pipeline, log.child({ component: 'pipeline' }));
  }

  /** Loads config and zones and builds the first runtime (throws ConfigError on bad config). */
  static async create(configFile: string, log?: Logger): Promise<Server> {
    const config = await loadConfig(configFile);
    const logger = log ?? createLogger(config.log.level);
    const stats = new QueryStats();
    const runtime = await buildRuntime(config, { log: logger, stats });
    return new Server(configFile, runtime, logger, stats);
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

  async listen(): Promise<Listeners> {
    const c = this.config.server;
    this.#listeners = await startListeners(
      c.listen.map((l) => ({ address: l.address, port: l.port, protocols: [...l.protocols] })),
      this.#dispatcher,
      {
        logger: this.log.child({ component: 'transport' }),
        tcp: { idleTimeoutMs: c.tcp.idleTimeout * 1000, maxConnections: c.tcp.maxConnections, maxInflightPerConnection: c.tcp.maxPipelined },
      },
    );
    return this.#listeners;
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
      next = await buildRuntime(config, { log: this.log, stats: this.stats, previous: this.#runtime });
    } catch (err) {
      this.reloads.error++;
      this.log.error({ result: 'error' }, `reload refused, the running configuration stays: ${(err as Error).message}`);
      return false;
    }
    const old = this.#runtime;
    this.#runtime = next;
    this.#dispatcher.swap(next.pipeline);
    this.reloads.ok++;
    this.log.info({ result: 'ok', zones: zoneSummary(next) }, 'reloaded');
    void old.close();
    return true;
  }

  /** Stops accepting, lets in-flight answers out, releases everything. */
  stop(graceMs = 3000): Promise<void> {
    this.#stopping ??= (async () => {
      await this.#listeners?.close({ graceMs });
      await this.#runtime.close();
    })();
    return this.#stopping;
  }
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
