import { RCode, RRType } from '../../wire/constants.js';
import type { Forwarder } from '../../resolver/forwarder.js';
import { AnswerSource, type QueryContext } from '../context.js';
import type { Responder } from '../responder.js';
import { Outcome, Stage } from '../stage.js';

/**
 * The end of the recursive chain: a cache miss goes upstream. Concurrent misses for one key
 * share a single upstream query (the forwarder coalesces them); the answer is stored and sent
 * to every waiter with its own ID and question. Zone transfers are never forwarded.
 */
export class ForwardStage extends Stage {
  readonly name = 'forward';
  readonly #out: Responder;
  readonly #fwd: Forwarder;

  constructor(out: Responder, fwd: Forwarder) {
    super();
    this.#out = out;
    this.#fwd = fwd;
  }

  handle(ctx: QueryContext): Outcome {
    const t = ctx.q.qtype;
    if (t === RRType.AXFR || t === RRType.IXFR) {
      this.#out.error(ctx, RCode.Refused, AnswerSource.Refused);
      return Outcome.Answered;
    }
    const key = ctx.q.key();
    return this.#fwd.join(ctx.detach(), key, null) ? Outcome.Pending : Outcome.Answered;
  }
}
