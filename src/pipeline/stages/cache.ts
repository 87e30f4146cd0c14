import type { AnswerCache } from '../../resolver/cache/answer-cache.js';
import { EntryKind } from '../../resolver/cache/entry.js';
import type { CacheReplies } from '../cache-reply.js';
import type { Clock } from '../../resolver/clock.js';
import type { Forwarder } from '../../resolver/forwarder.js';
import type { CacheConfig } from '../../config/types.js';
import type { QueryContext } from '../context.js';
import { Outcome, Stage } from '../stage.js';

/**
 * The answer cache in the chain (Knot's peek): a fresh entry is patched and sent (the only
 * allocation is the response buffer), with a background prefetch when it is in the last 10% of
 * its TTL; an expired entry still inside its stale window goes to the forwarder with the entry
 * as fallback (RFC 8767), or is sent stale at once while a failed refresh is being waited out;
 * anything else is a miss for `forward`, which stores what comes back.
 */
export class CacheStage extends Stage {
  readonly name = 'cache';
  readonly #out: CacheReplies;
  readonly #cache: AnswerCache;
  readonly #fwd: Forwarder<QueryContext>;
  readonly #clock: Clock;
  readonly #prefetch: boolean;
  readonly #stale: boolean;
  readonly #staleTtl: number;

  constructor(out: CacheReplies, cache: AnswerCache, fwd: Forwarder<QueryContext>, clock: Clock, settings: CacheConfig) {
    super();
    this.#out = out;
    this.#cache = cache;
    this.#fwd = fwd;
    this.#clock = clock;
    this.#prefetch = settings.prefetch;
    this.#stale = settings.serveStale.enabled;
    this.#staleTtl = Math.max(1, Math.round(settings.serveStale.answerTtl));
  }

  handle(ctx: QueryContext): Outcome {
    const q = ctx.q;
    const key = q.key();
    const e = this.#cache.get(key);
    const c = this.#cache.counters;
    if (e !== undefined) {
      const now = this.#clock.nowSeconds();
      const ttl = e.ttl(now);
      if (ttl > 0) {
        c.hits++;
        this.#out.fresh(ctx, e, now);
        if (e.kind === EntryKind.Failure) {
          c.failureHits++;
        } else if (this.#prefetch && ttl * 10 <= e.origTtl && !e.refreshing && now >= e.retryAfter) {
          this.#fwd.prefetch(q, key, e); // after the answer: the client does not wait for it
        }
        return Outcome.Answered;
      }
      if (this.#stale && e.kind !== EntryKind.Failure && e.servableStale(now)) {
        if (now < e.retryAfter) {
          // A refresh failed recently: answer stale without asking upstream (RFC 8767 §5).
          c.staleServed++;
          this.#out.stale(ctx, e, this.#staleTtl);
          return Outcome.Answered;
        }
        c.misses++;
        const w = ctx.detach();
        if (!this.#fwd.join(w, w.q, key, e)) this.#out.refused(w); // a reload removed its upstreams
        return Outcome.Pending;
      }
    }
    c.misses++;
    return this.next.handle(ctx);
  }
}
