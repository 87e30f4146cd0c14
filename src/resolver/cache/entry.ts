import type { Placed, Slab } from './arena.js';

/** What a cache entry holds. */
export const EntryKind = {
  /** An answer with data (NOERROR, answer section not empty). */
  Positive: 0,
  /** NXDOMAIN or NODATA with an SOA in authority (RFC 2308). */
  Negative: 1,
  /** A resolution failure (SERVFAIL from every upstream, timeouts): no wire, answered SERVFAIL. */
  Failure: 2,
} as const;
export type EntryKind = (typeof EntryKind)[keyof typeof EntryKind];

/** Rough per-entry bookkeeping cost (entry object, LRU slots, key) added to the block size. */
const ENTRY_OVERHEAD = 160;

/**
 * One cached answer. Staleness is derived from the entry itself (CoreDNS `item.go`): `ttl(now)`
 * is the freshness left, negative once expired; the entry may still be served stale until
 * `staleUntil`. The answer itself is a block in the cache's WireArena (`slab`, `at`): `nTtl`
 * TTL offsets, then the packed upstream answer without OPT or TSIG, with the TTLs as they are
 * to be counted down (already clamped). A failure entry has no block.
 */
export class CacheEntry implements Placed {
  /** A refresh (prefetch or stale refresh) is in flight; only one runs per entry. */
  refreshing = false;
  /** After a failed refresh no new one starts (and stale is served at once) before this time. */
  retryAfter = 0;
  slab: Slab | null = null;
  at = 0;

  constructor(
    readonly kind: EntryKind,
    readonly rcode: number,
    /** Number of TTL offsets at the start of the block. */
    readonly nTtl: number,
    /** Bytes of the block (offsets and wire). */
    readonly blockLen: number,
    /** Clock seconds when stored. */
    readonly storedAt: number,
    /** Seconds the entry is fresh (the smallest clamped TTL). */
    readonly origTtl: number,
    /** Clock seconds until which the expired entry may be served stale (= expiry when it may not). */
    readonly staleUntil: number,
    /** Extended DNS Error sent with every fresh answer from it (failure reason, Blocked), or -1. */
    readonly ede = -1,
  ) {}

  /** A failure entry: answered SERVFAIL for `ttl` seconds, never served stale. */
  static failure(now: number, ttl: number, ede: number): CacheEntry {
    return new CacheEntry(EntryKind.Failure, 2, 0, 0, now, ttl, now + ttl, ede);
  }

  /** The cached answer (a view into the slab, for diagnostics and tests; empty for a failure). */
  wire(): Buffer {
    if (this.slab === null) return Buffer.alloc(0);
    return this.slab.buf.subarray(this.at + 2 * this.nTtl, this.at + this.blockLen);
  }

  /** Freshness left in seconds; <= 0 means expired. */
  ttl(now: number): number {
    return this.storedAt + this.origTtl - now;
  }

  /** True while an expired entry may still be answered from (RFC 8767). */
  servableStale(now: number): boolean {
    return now < this.staleUntil;
  }

  /** Starts a refresh unless one is running or a failed one is being waited out. */
  beginRefresh(now: number): boolean {
    if (this.refreshing || now < this.retryAfter) return false;
    this.refreshing = true;
    return true;
  }

  /** Ends a refresh; a failed one blocks the next for `recheck` seconds. */
  endRefresh(ok: boolean, now: number, recheck: number): void {
    this.refreshing = false;
    if (!ok) this.retryAfter = now + recheck;
  }

  /** Bytes charged against the cache's byte limit. */
  get size(): number {
    return this.blockLen + ENTRY_OVERHEAD;
  }
}
