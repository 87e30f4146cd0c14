import type { AnswerCache } from '../../resolver/cache/answer-cache.js';
import { EntryKind } from '../../resolver/cache/entry.js';
import { sendFresh, sendStale } from '../cache-reply.js';
import type { Clock } from '../../resolver/clock.js';
import type { Forwarder } from '../../resolver/forwarder.js';
import type { QueryContext } from '../context.js';
import type { Responder } from '../responder.js';
import { Outcome, Stage } from '../stage.js';

export interface CacheStageSettings {
  prefetch: boolean;
  serveStale: boolean;
  /** TTL of stale answers (seconds). */
  staleAnswerTtl: number;
}

/**
 * The answer cache in the chain (Knot's peek): a fresh entry is patched and sent (the only
 * allocation is the response buffer), with a background prefetch when it is in the last 10% of
 * its TTL; an expired entry still inside its stale window goes to the forwarder with the entry
 * as fallback (RFC 8767), or is sent stale at once while a failed refresh is being waited out;
 * anything else is a miss for `forward`, which stores what comes back.
 */
export class CacheStage extends Stage {
  readonly name = 'cache';
  readonly #out: Responder;
  readonly #cache: AnswerCache;
  readonly #fwd: Forwarder;
  readonly #clock: Clock;
  readonly #prefetch: boolean;
  readonly #stale: boolean;
  readonly #staleTtl: number;

  constructor(out: Responder, cache: AnswerCache, fwd: Forwarder, clock: Clock, settings: CacheStageSettings) {
    super();
    this.#out = out;
    this.#cache = cache;
    this.#fwd = fwd;
    this.#clock = clock;
    this.#prefetch = settings.prefetch;
    this.#stale = settings.serveStale;
    this.#staleTtl = Math.max(1, Math.round(settings.staleAnswerTtl));
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
        sendFresh(this.#out, ctx, e, now);
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
          sendStale(this.#out, ctx, e, this.#staleTtl);
          return Outcome.Answered;
        }
        c.misses++;
        this.#fwd.join(ctx.detach(), key, e);
        return Outcome.Pending;
      }
    }
    c.misses++;
    return this.next.handle(ctx);
  }
}
