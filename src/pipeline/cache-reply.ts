import { EdeCode, RCode } from '../wire/constants.js';
import { AnswerSource, type QueryContext } from './context.js';
import { errorResponse, type Responder } from './responder.js';
import { EntryKind, type CacheEntry } from '../resolver/cache/entry.js';
import { patchEntry } from '../resolver/cache/patch.js';

/**
 * Answers a client from a fresh entry: the patched answer with TTLs counted down, or SERVFAIL
 * for a cached failure. Source Cache.
 */
export function sendFresh(out: Responder, ctx: QueryContext, e: CacheEntry, now: number): void {
  if (e.kind === EntryKind.Failure) return sendServfail(out, ctx, e.ede, AnswerSource.Cache);
  // A cached answer the rebinding filter emptied counts as blocked, like the first one did.
  ctx.source = e.ede === EdeCode.Blocked ? AnswerSource.Blocked : AnswerSource.Cache;
  if (e.ede >= 0) ctx.ede = e.ede;
  out.send(ctx, patchEntry(e, ctx.q, Math.floor(now - e.storedAt), -1));
}

/**
 * Answers a client from an expired entry (RFC 8767): every TTL set to `answerTtl`, source Stale,
 * EDE 3 "Stale Answer" (19 "Stale NXDOMAIN Answer" for NXDOMAIN, RFC 8914 §4).
 */
export function sendStale(out: Responder, ctx: QueryContext, e: CacheEntry, answerTtl: number): void {
  ctx.source = AnswerSource.Stale;
  ctx.ede = e.rcode === RCode.NXDomain ? EdeCode.StaleNXDomainAnswer : EdeCode.StaleAnswer;
  out.send(ctx, patchEntry(e, ctx.q, 0, answerTtl));
}

/** SERVFAIL with RA set (this is the recursive side) and an Extended DNS Error. */
export function sendServfail(out: Responder, ctx: QueryContext, ede: number, source: AnswerSource): void {
  ctx.source = source;
  ctx.ede = ede;
  const wire = errorResponse(ctx, RCode.ServFail);
  wire[3]! |= 0x80;
  out.send(ctx, wire);
}
