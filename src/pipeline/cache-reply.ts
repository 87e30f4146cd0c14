import { EdeCode, RCode } from '../wire/constants.js';
import { AnswerSource, type QueryContext } from './context.js';
import { errorResponse, type Responder } from './responder.js';
import { EntryKind, type CacheEntry } from '../resolver/cache/entry.js';
import type { Delivery } from '../resolver/forwarder.js';
import type { PackedAnswer } from '../resolver/cache/pack.js';
import { patchEntry, patchPacked } from '../resolver/cache/patch.js';

/**
 * How cached and forwarded answers reach a client: the resolver decides what a client gets
 * (fresh entry, stale entry, the upstream answer, a failure), these patch it for that client
 * (ID, question case, TTLs) and send it through the Responder. Used by the cache stage for hits
 * and by the forwarder for the clients that waited on the miss path. One per pipeline.
 */
export class CacheReplies implements Delivery<QueryContext> {
  readonly #out: Responder;

  constructor(out: Responder) {
    this.#out = out;
  }

  done(ctx: QueryContext): boolean {
    return ctx.done;
  }

  /**
   * A fresh entry: the patched answer with TTLs counted down, or SERVFAIL for a cached failure.
   * Source Cache (Blocked for an answer the rebinding filter emptied, like the first one).
   */
  fresh(ctx: QueryContext, e: CacheEntry, now: number): void {
    if (e.kind === EntryKind.Failure) return this.#servfail(ctx, e.ede, AnswerSource.Cache);
    ctx.source = e.ede === EdeCode.Blocked ? AnswerSource.Blocked : AnswerSource.Cache;
    if (e.ede >= 0) ctx.ede = e.ede;
    this.#out.send(ctx, patchEntry(e, ctx.q, Math.floor(now - e.storedAt), -1));
  }

  /**
   * An expired entry (RFC 8767): every TTL set to `answerTtl`, source Stale, EDE 3 "Stale
   * Answer" (19 "Stale NXDOMAIN Answer" for NXDOMAIN, RFC 8914 §4).
   */
  stale(ctx: QueryContext, e: CacheEntry, answerTtl: number): void {
    ctx.source = AnswerSource.Stale;
    ctx.ede = e.rcode === RCode.NXDomain ? EdeCode.StaleNXDomainAnswer : EdeCode.StaleAnswer;
    this.#out.send(ctx, patchEntry(e, ctx.q, 0, answerTtl));
  }

  /** The upstream answer that just landed, with the name of the upstream that gave it. */
  answer(ctx: QueryContext, packed: PackedAnswer, ede: number, upstream: string): void {
    ctx.source = ede === EdeCode.Blocked ? AnswerSource.Blocked : AnswerSource.Upstream;
    ctx.upstream = upstream;
    if (ede >= 0) ctx.ede = ede;
    this.#out.send(ctx, patchPacked(packed, ctx.q, 0, -1));
  }

  failure(ctx: QueryContext, ede: number): void {
    this.#servfail(ctx, ede, AnswerSource.Error);
  }

  /** No upstream serves the name (any more): REFUSED. */
  refused(ctx: QueryContext): void {
    this.#out.error(ctx, RCode.Refused, AnswerSource.Refused);
  }

  drop(ctx: QueryContext): void {
    this.#out.drop(ctx);
  }

  /** SERVFAIL with RA set (this is the recursive side) and an Extended DNS Error. */
  #servfail(ctx: QueryContext, ede: number, source: AnswerSource): void {
    ctx.source = source;
    ctx.ede = ede;
    const wire = errorResponse(ctx, RCode.ServFail);
    wire[3]! |= 0x80;
    this.#out.send(ctx, wire);
  }
}
