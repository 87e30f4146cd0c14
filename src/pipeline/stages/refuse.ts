import { RCode } from '../../wire/constants.js';
import { AnswerSource, type QueryContext } from '../context.js';
import type { Responder } from '../responder.js';
import { Outcome, Stage } from '../stage.js';

/** The end of the chain: nothing before answered, so this server has no business with the name. */
export class RefuseStage extends Stage {
  readonly name = 'refuse';
  readonly #out: Responder;

  constructor(out: Responder) {
    super();
    this.#out = out;
  }

  handle(ctx: QueryContext): Outcome {
    this.#out.error(ctx, RCode.Refused, AnswerSource.Refused);
    return Outcome.Answered;
  }
}
