import type { Family } from '../../view/address.js';
import { visitAddresses, type AddressVisitor } from '../../view/address-walk.js';
import type { AddressTranslation } from '../../view/translation.js';
import type { View, ViewSet } from '../../view/views.js';
import { RCode } from '../../wire/constants.js';
import type { QueryContext } from '../context.js';
import type { PostStage } from '../responder.js';

/** Rewrites external addresses to internal ones in place (the visitor the address walk calls). */
class Forward implements AddressVisitor {
  constructor(readonly translation: AddressTranslation) {}

  address(buf: Uint8Array, offset: number, family: Family): boolean {
    return this.translation.translateInPlace(buf, offset, family);
  }
}

/**
 * Split-horizon address translation on the way out (the hairpin-NAT fix): for a client of a view
 * with `translate` rules, every A/AAAA record in the answer and additional sections, and every
 * SVCB/HTTPS ipv4hint/ipv6hint, whose address an external rule covers is rewritten to the
 * internal address, in place on the response being sent. Only NOERROR answers with records are
 * touched (NXDOMAIN, NODATA, referrals and errors go out as they are); TTLs are never changed.
 *
 * Whatever produced the answer (zone, cache, stale, upstream), the responder hands this stage a
 * buffer of its own: cache hits and forwarded answers are copies made by `patchAnswer`, zone
 * answers are freshly encoded, so the cache keeps the untranslated answer and one entry serves
 * every view. Runs last among the post stages, after the rebinding check (which runs on the
 * upstream answer before it is cached), so its output is never blocked.
 */
export class TranslateStage implements PostStage {
  readonly name = 'translate';
  /** Indexed by View.index; null for views without rules. */
  readonly #visitors: (Forward | null)[];

  constructor(views: ViewSet) {
    this.#visitors = views.views.map((v) => (v.translation === null ? null : new Forward(v.translation)));
  }

  apply(ctx: QueryContext, wire: Buffer): Buffer {
    const view = ctx.view;
    if (view === null) return wire;
    const visitor = this.#visitors[view.index];
    // NOERROR with at least one answer record; header bytes 3 (RCODE) and 6-7 (ANCOUNT).
    if (visitor == null || wire.length < 12 || (wire[3]! & 0x0f) !== RCode.NoError || (wire[6]! | wire[7]!) === 0) return wire;
    const n = visitAddresses(wire, visitor);
    if (n > 0) {
      const c = view.counters;
      c.translatedAnswers++;
      ctx.translated = true;
      c.translatedAddresses += n;
    }
    return wire;
  }
}
