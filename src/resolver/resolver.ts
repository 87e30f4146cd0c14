import type { Responder } from '../pipeline/responder.js';
import type { Stage } from '../pipeline/stage.js';
import { CacheStage } from '../pipeline/stages/cache.js';
import { ForwardStage } from '../pipeline/stages/forward.js';
import { compileNxdomain, LOCAL_NXDOMAIN_TTL, LocalPolicyStage } from '../pipeline/stages/local-policy.js';
import { compileAllowList, DEFAULT_RECURSION_ALLOW, RecursionAclStage, type AllowPrefix } from '../pipeline/stages/recursion-acl.js';
import type { PrefixTrie } from '../view/prefix-trie.js';
import { AnswerCache, type CacheStats } from './cache/answer-cache.js';
import { normalizeCacheSettings, type CacheSettings, type CacheSettingsInput } from './cache/options.js';
import { monotonicClock, type Clock } from './clock.js';
import { DomainMap } from '../wire/domain-map.js';
import { Forwarder, type AnswerFilter, type Routes, type UpstreamQuerier } from './forwarder.js';
import { UpstreamGroup, type UpstreamGroupOptions, type UpstreamLogger, type UpstreamSpec } from './upstream/index.js';
import type { UpstreamStats } from './upstream/types.js';
import { HzError } from '../errors/index.js';

/** Conditional forwarding: names at or below `name` go to these servers instead of the default ones. */
export interface ForwardDomainOptions {
  name: string;
  upstreams: readonly UpstreamSpec[];
}

/**
 * Everything the recursive side needs, as plain data (the config loader maps YAML onto it).
 * Durations are seconds unless the name says Ms.
 */
export interface ResolverOptions {
  cache?: CacheSettingsInput;
  /** Default upstream servers. Without them only conditional domains are forwarded; the rest is REFUSED. */
  upstreams?: readonly UpstreamSpec[];
  /** Settings shared by every upstream group (per-attempt timeout, rounds, health back-off). */
  upstream?: Partial<Omit<UpstreamGroupOptions, 'logger'>>;
  /** Budget of one upstream query (RFC 8767 query resolution timer). Default 4 s. */
  resolutionTimeout?: number;
  domains?: readonly ForwardDomainOptions[];
  /** Names answered NXDOMAIN locally, with everything below them. */
  nxdomain?: readonly string[];
  /** TTL and SOA MINIMUM of the local NXDOMAIN answers. Default 300 s. */
  nxdomainTtl?: number;
  /** Clients allowed recursion. Default loopback, RFC 1918, RFC 6598, link-local, ULA. */
  recursion?: { allow: readonly AllowPrefix[] };
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
}

export const RESOLUTION_TIMEOUT_DEFAULT = 4;
const GROUP_DEFAULTS = { timeoutMs: 1000, attempts: 2 } as const;

/**
 * The forwarding side of horizond: the answer cache, the upstream groups (default and
 * conditional), the local NXDOMAIN policy and the recursion allow list, compiled once.
 * `createStages` returns the stages for the chain; `close` ends upstream work. On reload, pass
 * `old.cache` in the deps of the new Resolver to keep the cached answers and counters.
 */
export class Resolver {
  readonly cache: AnswerCache;
  readonly settings: Readonly<CacheSettings>;
  readonly clock: Clock;
  readonly resolutionTimeout: number;
  readonly #groups: UpstreamQuerier[] = [];
  readonly #routes: Routes;
  readonly #allow: PrefixTrie<true>;
  readonly #nxdomain: DomainMap<Uint8Array> | null;
  readonly #forwarders: Forwarder[] = [];
  readonly #filter: AnswerFilter | null;
  #closing: Promise<void> | null = null;

  constructor(opts: ResolverOptions = {}, deps: ResolverDeps = {}) {
    this.settings = normalizeCacheSettings(opts.cache);
    this.clock = deps.clock ?? monotonicClock;
    this.resolutionTimeout = opts.resolutionTimeout ?? RESOLUTION_TIMEOUT_DEFAULT;
    if (!(this.resolutionTimeout > 0 && this.resolutionTimeout <= 60)) {
      throw new HzError('HZ_ERR_INVALID_ARGUMENT', `resolutionTimeout: must be a number above 0 and up to 60, got ${this.resolutionTimeout}`);
    }
    this.#filter = deps.filter ?? null;
    this.#allow = compileAllowList(opts.recursion?.allow ?? DEFAULT_RECURSION_ALLOW);
    const nx = opts.nxdomain ?? [];
    this.#nxdomain = nx.length > 0 ? compileNxdomain(nx, opts.nxdomainTtl ?? LOCAL_NXDOMAIN_TTL) : null;
    const groupOpts: UpstreamGroupOptions = { ...GROUP_DEFAULTS, ...opts.upstream, ...(opts.logger ? { logger: opts.logger } : {}) };
    const make = deps.createGroup ?? ((specs: UpstreamSpec[], o: UpstreamGroupOptions) => new UpstreamGroup(specs, o));
    const group = (specs: readonly UpstreamSpec[]): UpstreamQuerier => {
      const g = make([...specs], groupOpts);
      this.#groups.push(g);
      return g;
    };
    const domains = new DomainMap<UpstreamQuerier>();
    for (const d of opts.domains ?? []) {
      if (d.upstreams.length === 0) throw new HzError('HZ_ERR_INVALID_ARGUMENT', `forward.domains: ${d.name} has no upstreams`);
      domains.set(d.name, group(d.upstreams));
    }
    const fallback = opts.upstreams && opts.upstreams.length > 0 ? group(opts.upstreams) : null;
    this.#routes = { domains, fallback };
    this.cache = AnswerCache.adopt(deps.cache, { maxEntries: this.settings.maxEntries, maxBytes: this.settings.maxBytes });
  }

  /**
   * The recursive part of the chain, in order: recursion-acl (never an open resolver), then
   * local-policy (only when NXDOMAIN names are configured; before the cache so a policy change
   * applies at once), cache, forward. Build once per runtime with the runtime's responder.
   */
  createStages(out: Responder): Stage[] {
    const s = this.settings;
    const fwd = new Forwarder(this.cache, this.#routes, out, this.clock, {
      minTtl: s.minTtl, maxTtl: s.maxTtl, negativeMaxTtl: s.negativeMaxTtl, servfailTtl: s.servfailTtl,
      serveStale: s.serveStale, resolutionTimeout: this.resolutionTimeout,
    }, this.#filter);
    this.#forwarders.push(fwd);
    const stages: Stage[] = [new RecursionAclStage(out, this.#allow)];
    if (this.#nxdomain !== null) stages.push(new LocalPolicyStage(out, this.#nxdomain));
    stages.push(
      new CacheStage(out, this.cache, fwd, this.clock, {
        prefetch: s.prefetch, serveStale: s.serveStale.enabled, staleAnswerTtl: s.serveStale.answerTtl,
      }),
      new ForwardStage(out, fwd),
    );
    return stages;
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
