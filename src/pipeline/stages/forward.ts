import { RCode, RRType } from '../../wire/constants.js';
import type { Forwarder } from '../../resolver/forwarder.js';
import { AnswerSource, type QueryContext } from '../context.js';
import type { Responder } from '../responder.js';
import { Outcome, Stage } from '../stage.js';

/**
 * The end of the recursive chain: a cache miss goes upstream. Concurrent misses for one key
 * share a single upstream query (the forwarder coalesces them); the answer is stored and sent
 * to every waiter with its own ID and question (cache-reply.ts). Zone transfers are never
 * forwarded; a name no upstream group serves is REFUSED.
 */
export class ForwardStage extends Stage {
  readonly name = 'forward';
  readonly #out: Responder;
  readonly #fwd: Forwarder<QueryContext>;

  constructor(out: Responder, fwd: Forwarder<QueryContext>) {
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
    const w = ctx.detach();
    if (this.#fwd.join(w, w.q, ctx.q.key(), null)) return Outcome.Pending;
    // No upstream group serves this name (only conditional domains are configured).
    this.#out.error(w, RCode.Refused, AnswerSource.Refused);
    return Outcome.Answered;
  }
}
