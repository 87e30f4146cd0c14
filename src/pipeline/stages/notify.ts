import type { Logger } from '../../observability/log.js';
import { ThrottledWarn } from '../../transport/logger.js';
import { Flag, Opcode, RCode, RRType } from '../../wire/constants.js';
import { canonicalName, readName } from '../../wire/name.js';
import type { ReplicationManager } from '../../xfr/manager.js';
import { AnswerSource, type QueryContext } from '../context.js';
import { errorResponse, type Responder } from '../responder.js';
import { Outcome, Stage } from '../stage.js';

/**
 * NOTIFY (RFC 1996) as a secondary. Sits after the tsig stage. A NOTIFY for one of our secondary
 * zones from one of its primaries (by address, or signed with a primary's key) is acknowledged
 * (NOERROR, AA) and makes the zone check its primaries now. Anyone else's is ignored and
 * counted: REFUSED, and the zone is not touched. A NOTIFY for a zone that is not a secondary
 * zone here gets NOTAUTH.
 */
export class NotifyStage extends Stage {
  readonly name = 'notify';
  readonly #out: Responder;
  readonly #repl: ReplicationManager;
  readonly #strangers: ThrottledWarn;

  constructor(out: Responder, repl: ReplicationManager, log: Logger) {
    super();
    this.#out = out;
    this.#repl = repl;
    this.#strangers = new ThrottledWarn(log.child({ component: 'xfr' }), 60_000);
  }

  handle(ctx: QueryContext): Outcome {
    if (ctx.q.opcode !== Opcode.Notify) return this.next.handle(ctx);
    ctx.source = AnswerSource.Authoritative;
    if (ctx.q.qtype !== RRType.SOA) {
      this.#out.error(ctx, RCode.NotImp);
      return Outcome.Answered;
    }
    const key = canonicalName(readName(ctx.msg, ctx.q.qnameStart).name);
    const sz = this.#repl.secondary(key);
    if (sz === undefined) {
      this.#repl.counters.notifyIn.inc('other', 'notauth');
      this.#out.error(ctx, RCode.NotAuth);
      return Outcome.Answered;
    }
    const tsig = ctx.tsig;
    const keyName = tsig?.status === 'ok' ? tsig.key!.name : null;
    if (!sz.acceptsNotify(ctx.address, keyName)) {
      this.#repl.counters.notifyIn.inc(key, 'ignored');
      this.#strangers.warn({ zone: sz.origin, client: ctx.address, key: keyName ?? '(none)' }, 'NOTIFY from a server that is not a primary of the zone ignored');
      this.#out.error(ctx, RCode.Refused, AnswerSource.Refused);
      return Outcome.Answered;
    }
    this.#repl.counters.notifyIn.inc(key, 'accepted');
    sz.notified();
    const ack = errorResponse(ctx, RCode.NoError);
    ack[2]! |= Flag.AA >> 8;
    this.#out.send(ctx, ack);
    return Outcome.Answered;
  }
}
