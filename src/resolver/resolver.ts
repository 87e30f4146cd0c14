import type { CacheConfig, ForwardConfig, UpstreamConfig } from '../config/types.js';
import { AnswerCache, type CacheStats } from './cache/answer-cache.js';
import { monotonicClock, type Clock } from './clock.js';
import { DomainMap } from '../wire/domain-map.js';
import { Forwarder, type AnswerFilter, type Delivery, type Routes, type UpstreamQuerier } from './forwarder.js';
import { UpstreamGroup, type UpstreamGroupOptions, type UpstreamLogger, type UpstreamSpec } from './upstream/index.js';
import type { UpstreamStats } from './upstream/types.js';

/** What the resolver is configured with: the normalised config sections, as loaded. */
export interface ResolverOptions {
  cache: CacheConfig;
  forward: ForwardConfig;
  logger?: UpstreamLogger;
}

/** Things a Resolver is handed rather than builds (tests, reloads). */
export interface ResolverDeps {
  clock?: Clock;
  /** The previous resolver's cache, kept across a reload (limits re-applied by AnswerCache.adopt). */
  cache?: AnswerCache | null;
  /** Builds one upstream group; default `new UpstreamGroup(specs, opts)`. */
  createGroup?: (specs: UpstreamSpec[], opts: UpstreamGroupOptions) => UpstreamQuerier;
  /** Runs on every upstream answer before it is cached: `RebindingFilter.create(...)`, or null. */
  filter?: AnswerFilter | null;
  /** Budget of one upstream query in seconds (RFC 8767 §5 query resolution timer); default 4. */
  resolutionTimeout?: number;
}

/** The query resolution timer: an upstream query is given up after this long (RFC 8767 §5). */
export const RESOLUTION_TIMEOUT = 4;

/**
 * The forwarding library: the answer cache, the upstream groups (default and conditional,
 * compiled once into routes) and the forwarders that run the miss path over them. It knows
 * nothing of the request path: `createForwarder(delivery)` returns a Forwarder that hands what
 * each waiting client gets to `delivery`. On reload, pass `old.cache` in the deps of the new
 * Resolver to keep the cached answers and counters.
 */
export class Resolver {
  readonly cache: AnswerCache;
  readonly settings: CacheConfig;
  readonly clock: Clock;
  readonly resolutionTimeout: number;
  readonly #groups: UpstreamQuerier[] = [];
  readonly #routes: Routes;
  readonly #forwarders: { readonly inFlight: number; close(): Promise<void> }[] = [];
  readonly #filter: AnswerFilter | null;
  #closing: Promise<void> | null = null;

  constructor(opts: ResolverOptions, deps: ResolverDeps = {}) {
    this.settings = opts.cache;
    this.clock = deps.clock ?? monotonicClock;
    this.resolutionTimeout = deps.resolutionTimeout ?? RESOLUTION_TIMEOUT;
    this.#filter = deps.filter ?? null;
    const f = opts.forward;
    // forward.attempts counts attempts for one client query across all servers; an upstream
    // group counts rounds over its server list.
    const groupOpts = (n: number): UpstreamGroupOptions => ({
      timeoutMs: f.timeout * 1000,
      attempts: Math.max(1, Math.ceil(f.attempts / Math.max(1, n))),
      ...(opts.logger ? { logger: opts.logger } : {}),
    });
    const make = deps.createGroup ?? ((specs: UpstreamSpec[], o: UpstreamGroupOptions) => new UpstreamGroup(specs, o));
    const group = (servers: readonly UpstreamConfig[]): UpstreamQuerier => {
      const g = make(servers.map(upstreamSpec), groupOpts(f.upstreams.length));
      this.#groups.push(g);
      return g;
    };
    const domains = new DomainMap<UpstreamQuerier>();
    for (const d of f.domains) domains.set(d.name, group(d.upstreams));
    const fallback = f.upstreams.length > 0 ? group(f.upstreams) : null;
    this.#routes = { domains, fallback };
    this.cache = AnswerCache.adopt(deps.cache, { maxEntries: this.settings.maxEntries, maxBytes: this.settings.maxBytes });
  }

  /** The miss path over this resolver's cache and routes, answering through `delivery`. */
  createForwarder<W>(delivery: Delivery<W>): Forwarder<W> {
    const s = this.settings;
    const fwd = new Forwarder<W>(this.cache, this.#routes, delivery, this.clock, {
      minTtl: s.minTtl, maxTtl: s.maxTtl, negativeMaxTtl: s.negativeMaxTtl, servfailTtl: s.servfailTtl,
      serveStale: s.serveStale, resolutionTimeout: this.resolutionTimeout,
    }, this.#filter);
    this.#forwarders.push(fwd);
    return fwd;
  }

  /** Counters of every upstream server, group by group (metrics add up a server listed twice). */
  upstreamStats(): UpstreamStats[] {
    return this.#groups.flatMap((g) => g.stats?.() ?? []);
  }

  /** Counters and fill of the cache, and upstream queries in flight. */
  stats(): CacheStats & { inFlight: number } {
    let inFlight = 0;
    for (const f of this.#forwarders) inFlight += f.inFlight;
    return { ...this.cache.stats(), inFlight };
  }

  /**
   * Lets upstream queries in flight finish (each is bounded by its budget) without storing
   * their results as failures, then closes the upstream groups. The cache is left intact for
   * the next Resolver. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.all(this.#forwarders.map((f) => f.close()));
      await Promise.all(this.#groups.map((g) => g.close()));
    })();
    return this.#closing;
  }
}

/** A configured upstream as the upstream clients take it. */
function upstreamSpec(u: UpstreamConfig): UpstreamSpec {
  return {
    name: u.id,
    port: u.port,
    protocol: u.protocol,
    ...(u.address ? { address: u.address.address } : {}),
    ...(u.serverName ? { serverName: u.serverName } : {}),
    ...(u.url ? { url: u.url } : {}),
    ...(u.caFile ? { caFile: u.caFile } : {}),
  };
}
