import { LRUCache } from 'lru-cache';
import { WireArena } from './arena.js';
import { CacheEntry } from './entry.js';
import type { PackedAnswer } from './pack.js';

/** Hot-path counters: plain integers, read at scrape time (style §2.3). */
export class CacheCounters {
  /** Answers from a fresh entry (SERVFAIL-cache hits included, also counted in failureHits). */
  hits = 0;
  /** Lookups that found nothing usable (absent, expired, past the stale window). */
  misses = 0;
  /** Stale answers sent (RFC 8767). */
  staleServed = 0;
  /** Background refreshes started by a hit near expiry. */
  prefetches = 0;
  /** Clients that joined an upstream query already in flight for the same key. */
  coalesced = 0;
  /** Entries pushed out by the entry or byte limit. */
  evictions = 0;
  /** Hits on a cached resolution failure (answered SERVFAIL without asking upstream). */
  failureHits = 0;
  /** Upstream queries started (one per in-flight key). */
  upstreamQueries = 0;
  /** Upstream queries that ended without a usable answer. */
  upstreamFailures = 0;
  /** Records removed from upstream answers because they did not belong to the question (scrub.ts). */
  scrubbed = 0;
}

/** A snapshot of the counters plus the current fill, for metrics and tests. */
export interface CacheStats {
  hits: number;
  misses: number;
  staleServed: number;
  prefetches: number;
  coalesced: number;
  evictions: number;
  failureHits: number;
  upstreamQueries: number;
  upstreamFailures: number;
  scrubbed: number;
  entries: number;
  bytes: number;
  /** Memory held for answers (arena slabs), and the part of it still in use. */
  slabBytes: number;
  liveBytes: number;
}

export interface CacheLimits {
  maxEntries: number;
  maxBytes: number;
}

/**
 * The answer store: an LRU bounded by entries and by bytes, keyed by `QueryView.key()`, with the
 * answers themselves packed into a WireArena. It holds no policy (TTL rules and serve-stale live
 * with whoever stores and reads), so a reload can hand the same object, with its entries and
 * counters, to a new Resolver.
 */
export class AnswerCache {
  readonly counters: CacheCounters;
  readonly limits: Readonly<CacheLimits>;
  readonly #lru: LRUCache<string, CacheEntry>;
  #arena: WireArena;

  constructor(limits: CacheLimits, counters: CacheCounters = new CacheCounters(), arena = new WireArena()) {
    this.limits = Object.freeze({ maxEntries: limits.maxEntries, maxBytes: limits.maxBytes });
    this.counters = counters;
    this.#arena = arena;
    this.#lru = new LRUCache<string, CacheEntry>({
      max: limits.maxEntries,
      maxSize: limits.maxBytes,
      sizeCalculation: entrySize,
      dispose: (v, _k, reason) => {
        if (reason === 'evict') this.counters.evictions++;
        this.#arena.release(v);
      },
    });
  }

  /**
   * The cache to use after a reload: `previous` itself when its limits are unchanged, else a new
   * one with the new limits holding as many of the previous entries as fit (most recent kept)
   * and the same counters.
   */
  static adopt(previous: AnswerCache | null | undefined, limits: CacheLimits): AnswerCache {
    if (!previous) return new AnswerCache(limits);
    if (previous.limits.maxEntries === limits.maxEntries && previous.limits.maxBytes === limits.maxBytes) return previous;
    const next = new AnswerCache(limits, previous.counters, previous.#arena);
    for (const [k, v] of previous.#lru.rentries() as Iterable<[string, CacheEntry]>) next.#lru.set(k, v);
    return next;
  }

  /** The entry for key (marks it recently used), or undefined. */
  get(key: string): CacheEntry | undefined {
    return this.#lru.get(key);
  }

  /** The entry for key without touching its recency (tests, diagnostics). */
  peek(key: string): CacheEntry | undefined {
    return this.#lru.peek(key);
  }

  /**
   * Caches a packed answer (copied into the arena) fresh from `storedAt` for `packed.ttl`
   * seconds, servable stale until `staleUntil`; returns the entry.
   */
  store(key: string, packed: PackedAnswer, storedAt: number, staleUntil: number, ede = -1): CacheEntry {
    const e = new CacheEntry(packed.kind, packed.rcode, packed.nTtl, packed.block.length, storedAt, packed.ttl, staleUntil, ede);
    if (entrySize(e, key) > this.limits.maxBytes) {
      this.#lru.delete(key); // larger than the whole cache: not kept, and the old answer is outdated
      return e;
    }
    this.#arena.place(e, packed.block);
    this.set(key, e);
    return e;
  }

  /** Caches an entry (a failure entry, or one placed by `store`). */
  set(key: string, entry: CacheEntry): void {
    this.#lru.set(key, entry);
    // Not from dispose: the LRU must be done changing before its entries are walked.
    if (this.#arena.wasteful) this.#arena.compact(this.#lru.values());
  }

  delete(key: string): void {
    this.#lru.delete(key);
  }

  /** Every key, most recently used first (diagnostics: the console's lookup and flush). */
  keys(): IterableIterator<string> {
    return this.#lru.keys();
  }

  clear(): void {
    this.#lru.clear();
  }

  get size(): number {
    return this.#lru.size;
  }

  get bytes(): number {
    return this.#lru.calculatedSize;
  }

  stats(): CacheStats {
    const c = this.counters;
    return {
      hits: c.hits, misses: c.misses, staleServed: c.staleServed, prefetches: c.prefetches,
      coalesced: c.coalesced, evictions: c.evictions, failureHits: c.failureHits,
      upstreamQueries: c.upstreamQueries, upstreamFailures: c.upstreamFailures, scrubbed: c.scrubbed,
      entries: this.#lru.size, bytes: this.#lru.calculatedSize,
      slabBytes: this.#arena.slabBytes, liveBytes: this.#arena.liveBytes,
    };
  }
}

function entrySize(e: CacheEntry, key: string): number {
  return e.size + key.length;
}
