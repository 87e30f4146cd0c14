import { stripTsig } from '../../tsig/reply.js';
import type { DynamicZone, UpdateResult } from '../../update/dynamic-zone.js';
import type { UpdateManager } from '../../update/manager.js';
import { parseUpdate, type UpdateMessage } from '../../update/message.js';
import { fail, type Failure } from '../../update/outcome.js';
import { Opcode, RCode, RRType } from '../../wire/constants.js';
import { canonicalName } from '../../wire/name.js';
import { AnswerSource, type QueryContext } from '../context.js';
import { errorResponse, type Responder } from '../responder.js';
import { Outcome, Stage } from '../stage.js';

/**
 * RFC 2136 UPDATE (on UDP and TCP). Sits after the tsig stage, which has already answered
 * every request whose signature failed, so `ctx.tsig` is null or verified. Here: parse (FORMERR),
 * the zone section (exactly one SOA-type record naming a zone we serve: FORMERR / NOTAUTH;
 * REFUSED when that zone takes no updates), replay check for signed requests, then the zone's
 * queue does prerequisites, permissions, prescan and apply, and the answer leaves once the
 * change is durable. The reply echoes the zone section; the responder signs it.
 */
export class UpdateStage extends Stage {
  readonly name = 'update';
  readonly #out: Responder;
  readonly #updates: UpdateManager;
  readonly #nowSeconds: () => number;

  constructor(out: Responder, updates: UpdateManager, nowSeconds: () => number = () => Date.now() / 1000) {
    super();
    this.#out = out;
    this.#updates = updates;
    this.#nowSeconds = nowSeconds;
  }

  handle(ctx: QueryContext): Outcome {
    if (ctx.q.opcode !== Opcode.Update) return this.next.handle(ctx);
    ctx.source = AnswerSource.Update;
    const tsig = ctx.tsig;
    const key = tsig?.status === 'ok' ? tsig.key!.name : null;
    let msg: UpdateMessage;
    try {
      msg = parseUpdate(tsig ? stripTsig(ctx.msg, tsig) : ctx.msg);
    } catch (err) {
      return this.#refuse(ctx, key, '(unreadable)', fail(RCode.FormErr, 'formerr', `malformed UPDATE message: ${(err as Error).message}`), false);
    }
    const zname = msg.zone.name;
    const zkey = canonicalName(zname);
    const served = this.#updates.serves(zkey);
    const label = served ? zkey : zname; // metrics label: a configured zone, or "other"
    if (msg.zone.type !== RRType.SOA) {
      return this.#refuse(ctx, key, label, fail(RCode.FormErr, 'formerr', 'the zone section record must have type SOA'), served);
    }
    const dz = this.#updates.zone(zkey);
    if (!dz || dz.class !== msg.zone.class) {
      const f = served && !dz
        ? fail(RCode.Refused, 'disabled', `zone ${zname} accepts no updates`)
        : fail(RCode.NotAuth, 'notauth', `zone ${zname} is not a zone this server is primary for`);
      return this.#refuse(ctx, key, label, f, served);
    }
    if (!dz.guard) return this.#refuse(ctx, key, dz.origin, fail(RCode.Refused, 'disabled', `zone ${dz.origin} accepts no updates`));
    if (tsig && this.#updates.replay.check(key!, tsig.mac, this.#nowSeconds())) {
      // RFC 8945 §5.2.3: a replayed request is answered BADTIME, signed.
      tsig.status = 'badtime';
      this.#updates.counters.tsig.failures.badtime++;
      return this.#refuse(ctx, key, dz.origin, fail(RCode.NotAuth, 'replay', 'this signed request was already received (replay)'));
    }
    return this.#submit(ctx.detach(), dz, msg, key);
  }

  #submit(ctx: QueryContext, dz: DynamicZone, msg: UpdateMessage, key: string | null): Outcome {
    dz.submit({ msg, key, address: ctx.address })
      .then((r: UpdateResult) => r.rcode, () => RCode.ServFail)
      .then((rcode) => this.#out.send(ctx, errorResponse(ctx, rcode)))
      .catch(() => this.#out.drop(ctx));
    return Outcome.Pending;
  }

  #refuse(ctx: QueryContext, key: string | null, zone: string, f: Failure, served = true): Outcome {
    this.#updates.audit.refused({ client: ctx.address, key, zone, served }, f);
    this.#out.send(ctx, errorResponse(ctx, f.rcode));
    return Outcome.Answered;
  }
}
