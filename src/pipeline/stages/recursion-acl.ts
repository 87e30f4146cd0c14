import { EdeCode, RCode } from '../../wire/constants.js';
import { AnswerSource, type QueryContext } from '../context.js';
import type { Responder } from '../responder.js';
import { Outcome, Stage } from '../stage.js';

/**
 * Refuses recursion (cache and forwarding) to clients the recursion stage did not allow
 * (`ctx.recursion`), so horizond is never an open resolver: REFUSED with EDE 18 Prohibited. It
 * sits after `authoritative`, so zone data stays public.
 */
export class RecursionAclStage extends Stage {
  readonly name = 'recursion-acl';
  readonly #out: Responder;

  constructor(out: Responder) {
    super();
    this.#out = out;
  }

  handle(ctx: QueryContext): Outcome {
    if (ctx.recursion) return this.next.handle(ctx);
    ctx.ede = EdeCode.Prohibited;
    this.#out.error(ctx, RCode.Refused, AnswerSource.Refused);
    return Outcome.Answered;
  }
}
