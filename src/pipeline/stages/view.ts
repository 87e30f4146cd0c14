import { spliceLocalChain } from '../../view/local-chain.js';
import type { View, ViewSet } from '../../view/views.js';
import { EdeCode, RCode } from '../../wire/constants.js';
import { LookupResult } from '../../zone/lookup.js';
import { AnswerSource, type QueryContext } from '../context.js';
import type { PostStage, Responder } from '../responder.js';
import { Outcome, Stage } from '../stage.js';
import type { AuthAnswer, AuthoritativeSource, ZoneSourceFor } from './authoritative.js';

/**
 * Split-horizon view selection: sets `ctx.view` from the client address (or a trusted
 * forwarder's EDNS Client Subnet) with one prefix-trie lookup, and counts the query for the
 * view. A client no view matches is REFUSED (EDE 18 Prohibited). Left out of the chain when
 * `views.trivial` (one view for everyone, nothing to decide).
 */
export class ViewStage extends Stage {
  readonly name = 'view';
  readonly #out: Responder;
  readonly #views: ViewSet;

  constructor(out: Responder, views: ViewSet) {
    super();
    this.#out = out;
    this.#views = views;
  }

  handle(ctx: QueryContext): Outcome {
    const view = this.#views.select(ctx);
    if (view === null) {
      ctx.ede = EdeCode.Prohibited;
      this.#out.error(ctx, RCode.Refused, AnswerSource.Refused);
      return Outcome.Answered;
    }
    view.counters.queries++;
    return this.next.handle(ctx);
  }
}

/** The view of a query: `ctx.view`, or the only view when the view stage is not in the chain. */
export function viewOf(ctx: QueryContext, views: ViewSet): View {
  return (ctx.view as View | null) ?? views.views[0]!;
}

/** One view's zones as the authoritative stage reads them (built once per view). */
class ViewZoneSource implements AuthoritativeSource {
  constructor(readonly view: View) {}

  get generation(): number {
    return this.view.zones.generation;
  }

  covers(buf: Uint8Array, start: number): boolean {
    return this.view.zones.coversWire(buf, start);
  }

  lookup(qname: string, qtype: number, _dnssecOk: boolean, allForAny = false): AuthAnswer | null {
    const r = this.view.lookup(qname, qtype, allForAny ? { allForAny } : undefined);
    if (r === null) return null;
    return { rcode: r.result === LookupResult.NameError ? RCode.NXDomain : RCode.NoError, aa: r.aa, answer: r.answer, authority: r.authority, additional: r.additional };
  }
}

/**
 * The authoritative stage's `ZoneSourceFor`: the zones of the query's view (the view's own
 * zones in place of global ones of the same name), with `fallthrough` zones handing names they
 * do not hold on down the chain instead of answering NXDOMAIN.
 */
export function viewZoneSource(views: ViewSet): ZoneSourceFor {
  const sources = views.views.map((v) => new ViewZoneSource(v));
  const only = sources[0]!;
  return (ctx) => {
    const v = ctx.view as View | null;
    return v === null ? only : sources[v.index]!;
  };
}

/**
 * Post stage completing CNAME chains that enter a zone of the client's view (see
 * view/local-chain.ts) in answers that did not come from our zones: cached, stale and forwarded
 * ones. Must run before `translate` and before the reverse-question stage. A response it cannot
 * read goes out unchanged.
 */
export class LocalChainStage implements PostStage {
  readonly name = 'local-chain';
  readonly #views: ViewSet;

  constructor(views: ViewSet) {
    this.#views = views;
  }

  apply(ctx: QueryContext, wire: Buffer): Buffer {
    const s = ctx.source;
    if (s !== AnswerSource.Cache && s !== AnswerSource.Stale && s !== AnswerSource.Upstream) return wire;
    if (wire.length < 12 || (wire[6]! | wire[7]!) === 0) return wire;
    const rcode = wire[3]! & 0x0f;
    if (rcode !== RCode.NoError && rcode !== RCode.NXDomain) return wire;
    const view = viewOf(ctx, this.#views);
    if (view.zoneMap.size === 0) return wire;
    try {
      const spliced = spliceLocalChain(wire, view, ctx.q.qtype);
      if (spliced === null) return wire;
      view.counters.localChains++;
      return spliced;
    } catch {
      return wire;
    }
  }
}
