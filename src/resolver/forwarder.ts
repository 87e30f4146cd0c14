import { AnswerSource, type QueryContext } from '../pipeline/context.js';
import type { Responder } from '../pipeline/responder.js';
import { EdeCode, RCode } from '../wire/constants.js';
import { readName } from '../wire/name.js';
import type { QueryView } from '../wire/query-view.js';
import type { UpstreamQuestion, UpstreamResult } from './upstream/index.js';
import type { UpstreamStats } from './upstream/types.js';
import type { AnswerCache } from './cache/answer-cache.js';
import { CacheEntry, EntryKind } from './cache/entry.js';
import type { ServeStaleSettings } from './cache/options.js';
import { emptyAnswer, packAnswer, type PackedAnswer, type TtlPolicy } from './cache/pack.js';
import { patchPacked } from './cache/patch.js';
import { sendFresh, sendServfail, sendStale } from './cache/serve.js';
import type { Clock } from './clock.js';
import type { DomainMap } from '../wire/domain-map.js';
import { Flight } from './flight.js';
import { scrubAnswer } from './scrub.js';

/** What the forwarder needs from an upstream group (resolver/upstream UpstreamGroup fits). */
export interface UpstreamQuerier {
  query(q: UpstreamQuestion, budgetMs: number): Promise<UpstreamResult>;
  close(): Promise<void>;
  /** Per-upstream counters (UpstreamGroup has them; test doubles may not). */
  stats?(): UpstreamStats[];
}

export interface ForwarderSettings extends TtlPolicy {
  servfailTtl: number;
  serveStale: ServeStaleSettings;
  /** Budget of one upstream query in seconds (the query resolution timer of RFC 8767 §5). */
  resolutionTimeout: number;
}

/**
 * Inspects each upstream answer once, before it is cached (DNS rebinding protection:
 * resolver/rebinding.ts RebindingFilter fits). `blocked` means no data is left: the client gets
 * NOERROR without records and EDE 15, and that is what gets cached.
 */
export interface AnswerFilter {
  filter(wire: Buffer): { readonly wire: Buffer; readonly blocked: boolean };
}

/** Where a query goes: the conditional-forwarding group of the longest matching domain, or the default. */
export interface Routes {
  domains: DomainMap<UpstreamQuerier>;
  fallback: UpstreamQuerier | null;
}

/**
 * The miss path: one upstream query per cache key with any number of waiting clients, the
 * client response timer that answers them stale (RFC 8767 §5), storing what lands, and
 * remembering failures (RFC 9520). Everything here runs once per upstream query, not per hit.
 */
export class Forwarder {
  readonly #flights = new Map<string, Flight>();
  readonly #cache: AnswerCache;
  readonly #routes: Routes;
  readonly #out: Responder;
  readonly #clock: Clock;
  readonly #s: ForwarderSettings;
  readonly #staleTtl: number;
  readonly #clientMs: number;
  readonly #budgetMs: number;
  /** Bound once: the client response timer callback (no closure per flight). */
  readonly #onTimer = (f: Flight): void => this.#fireTimer(f);
  readonly #filter: AnswerFilter | null;
  #closed = false;
  #drained: (() => void) | null = null;

  constructor(cache: AnswerCache, routes: Routes, out: Responder, clock: Clock, settings: ForwarderSettings, filter: AnswerFilter | null = null) {
    this.#cache = cache;
    this.#filter = filter;
    this.#routes = routes;
    this.#out = out;
    this.#clock = clock;
    this.#s = settings;
    this.#staleTtl = Math.max(1, Math.round(settings.serveStale.answerTtl));
    this.#clientMs = settings.serveStale.clientTimeout * 1000;
    this.#budgetMs = settings.resolutionTimeout * 1000;
  }

  /** Upstream queries in flight. */
  get inFlight(): number {
    return this.#flights.size;
  }

  /**
   * A detached client waits for `key`: joins the query in flight or starts one. `stale` is the
   * expired entry that may answer it when the client response timer fires or upstream fails.
   * Returns false when it was answered at once (no upstream group for the name: REFUSED).
   */
  join(own: QueryContext, key: string, stale: CacheEntry | null): boolean {
    let f: Flight | null | undefined = this.#flights.get(key);
    if (f === undefined) {
      f = this.#start(key, own.q, stale);
      if (f === null) {
        this.#out.error(own, RCode.Refused, AnswerSource.Refused);
        return false;
      }
    } else {
      this.#cache.counters.coalesced++;
      if (f.entry === null) f.entry = stale;
    }
    f.add(own, performance.now() + this.#clientMs);
    if (f.timer === null && f.entry !== null && this.#s.serveStale.enabled) this.#arm(f);
    return true;
  }

  /** Background refresh of a fresh entry near expiry; q is only read synchronously. */
  prefetch(q: QueryView, key: string, entry: CacheEntry): void {
    if (this.#closed || this.#flights.has(key)) return;
    this.#cache.counters.prefetches++;
    this.#start(key, q, entry);
  }

  /**
   * Stops prefetching and stops recording failures (a query failing because its group is being
   * closed says nothing about the name); resolves once every query in flight has settled.
   * Answers that still land are stored: the cache outlives a reload.
   */
  close(): Promise<void> {
    this.#closed = true;
    if (this.#flights.size === 0) return Promise.resolve();
    return new Promise((resolve) => { this.#drained = resolve; });
  }

  #start(key: string, q: QueryView, entry: CacheEntry | null): Flight | null {
    const group = this.#routes.domains.size > 0 ? this.#routes.domains.match(q.buf, q.qnameStart) ?? this.#routes.fallback : this.#routes.fallback;
    if (!group) return null;
    const f = new Flight(key, entry);
    if (entry !== null) entry.refreshing = true;
    this.#flights.set(key, f);
    this.#cache.counters.upstreamQueries++;
    const question: UpstreamQuestion = {
      qname: readName(q.buf, q.qnameStart).name, qtype: q.qtype, qclass: q.qclass, do: q.ednsDo, cd: q.cd,
    };
    let p: Promise<UpstreamResult>;
    try {
      p = group.query(question, this.#budgetMs);
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then((r) => this.#landed(f, r), (err: unknown) => this.#failed(f, edeFor(err)));
    return f;
  }

  #landed(f: Flight, r: UpstreamResult): void {
    let packed: PackedAnswer;
    let ede = -1;
    try {
      // Records that are not part of the answer to the question go before anything else sees them.
      const scrubbed = scrubAnswer(r.wire);
      this.#cache.counters.scrubbed += scrubbed.removed;
      const wire = scrubbed.wire;
      const v = this.#filter !== null ? this.#filter.filter(wire) : null;
      if (v !== null && v.blocked) {
        ede = EdeCode.Blocked;
        packed = emptyAnswer(packAnswer(wire, this.#s));
      } else {
        packed = packAnswer(v !== null ? v.wire : wire, this.#s);
      }
    } catch {
      return this.#failed(f, EdeCode.NetworkError);
    }
    if (packed.kind === EntryKind.Failure) return this.#failed(f, EdeCode.NoReachableAuthority);
    this.#end(f);
    const now = this.#clock.nowSeconds();
    if (packed.ttl > 0) {
      const staleUntil = now + packed.ttl + (this.#s.serveStale.enabled ? this.#s.serveStale.maxStale : 0);
      this.#cache.store(f.key, packed, now, staleUntil, ede);
    } else if (!packed.truncated && f.entry !== null) {
      this.#cache.delete(f.key); // upstream now says something we may not cache: the old entry is outdated
    }
    if (f.entry !== null) f.entry.endRefresh(true, now, 0);
    for (const w of f.waiters) {
      if (w.done) continue;
      try {
        w.source = ede === EdeCode.Blocked ? AnswerSource.Blocked : AnswerSource.Upstream;
        w.upstream = r.upstream;
        if (ede >= 0) w.ede = ede;
        this.#out.send(w, patchPacked(packed, w.q, 0, -1));
      } catch {
        this.#out.drop(w);
      }
    }
  }

  #failed(f: Flight, ede: number): void {
    this.#end(f);
    this.#cache.counters.upstreamFailures++;
    const now = this.#clock.nowSeconds();
    const e = f.entry;
    // A failure caused by shutdown says nothing about the name: no recheck wait, no failure entry.
    if (e !== null) e.endRefresh(this.#closed, now, this.#s.serveStale.failureRecheck);
    const fallback = e !== null && e.kind !== EntryKind.Failure
      && (e.ttl(now) > 0 || (this.#s.serveStale.enabled && e.servableStale(now))) ? e : null;
    if (fallback === null && !this.#closed) this.#cache.set(f.key, CacheEntry.failure(now, this.#s.servfailTtl, ede));
    for (const w of f.waiters) {
      if (w.done) continue;
      if (fallback !== null) {
        this.#fromEntry(w, fallback, now);
        continue;
      }
      try {
        sendServfail(this.#out, w, ede, AnswerSource.Error);
      } catch {
        this.#out.drop(w);
      }
    }
  }

  /** Removes a settled flight and its timer. */
  #end(f: Flight): void {
    if (this.#flights.get(f.key) === f) this.#flights.delete(f.key);
    if (f.timer !== null) {
      clearTimeout(f.timer);
      f.timer = null;
    }
    if (this.#drained !== null && this.#flights.size === 0) {
      this.#drained();
      this.#drained = null;
    }
  }

  #arm(f: Flight): void {
    if (f.timed >= f.waiters.length) return;
    const delay = f.deadlines[f.timed]! - performance.now();
    f.timer = setTimeout(this.#onTimer, delay > 0 ? delay : 0, f);
  }

  /** Client response timer: answers stale every waiter whose timer has run out. */
  #fireTimer(f: Flight): void {
    f.timer = null;
    const e = f.entry;
    const now = this.#clock.nowSeconds();
    if (e === null || e.kind === EntryKind.Failure || !e.servableStale(now)) return;
    const limit = performance.now() + 1;
    while (f.timed < f.waiters.length && f.deadlines[f.timed]! <= limit) {
      const w = f.waiters[f.timed++]!;
      if (!w.done) this.#fromEntry(w, e, now);
    }
    this.#arm(f);
  }

  /** Answers a waiter from an entry: as a cache hit while fresh, else stale (RFC 8767). */
  #fromEntry(w: QueryContext, e: CacheEntry, now: number): void {
    try {
      if (e.ttl(now) > 0) {
        this.#cache.counters.hits++;
        sendFresh(this.#out, w, e, now);
      } else {
        this.#cache.counters.staleServed++;
        sendStale(this.#out, w, e, this.#staleTtl);
      }
    } catch {
      this.#out.drop(w);
    }
  }
}

/** EDE for a failed upstream query (RFC 8914): 22 when nothing answered in time, else 23. */
function edeFor(err: unknown): number {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'HZ_ERR_UPSTREAM_TIMEOUT' ? EdeCode.NoReachableAuthority : EdeCode.NetworkError;
}
