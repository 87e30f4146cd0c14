import type { CacheEntry } from './cache/entry.js';

/**
 * One upstream query in flight for a cache key, and the clients waiting for it (coalescing:
 * CoreDNS singleflight, undici deduplicate). Waiters are whatever the caller queues (the
 * pipeline's detached query contexts); `deadlines[i]` is
 * when waiter i's client response timer fires (ms, performance.now()), in arrival order, so one
 * timer per flight serves them in turn.
 */
export class Flight<W> {
  readonly waiters: W[] = [];
  readonly deadlines: number[] = [];
  /** Waiters before this index were already handled by the client response timer. */
  timed = 0;
  timer: NodeJS.Timeout | null = null;

  constructor(
    readonly key: string,
    /** The entry being refreshed (fresh for a prefetch, expired for a stale refresh), or null. */
    public entry: CacheEntry | null,
  ) {}

  add(w: W, deadline: number): void {
    this.waiters.push(w);
    this.deadlines.push(deadline);
  }
}
