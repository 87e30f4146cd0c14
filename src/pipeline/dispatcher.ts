import { RCode } from '../wire/constants.js';
import type { QueryContext, QueryHandler } from './context.js';
import type { Responder } from './responder.js';
import type { Stage } from './stage.js';
import type { Logger } from '../observability/log.js';

export interface Pipeline {
  head: Stage;
  responder: Responder;
}

/**
 * What the listeners call. Holds the current pipeline and swaps it on reload (one reference:
 * queries already in flight finish on the pipeline they started on). A stage that throws costs
 * that query a SERVFAIL, a counter and a warning, never the process (CoreDNS's recover()).
 */
export class Dispatcher implements QueryHandler {
  #current: Pipeline;
  readonly #log: Logger;
  panics = 0;

  constructor(initial: Pipeline, log: Logger) {
    this.#current = initial;
    this.#log = log;
  }

  get current(): Pipeline {
    return this.#current;
  }

  swap(next: Pipeline): void {
    this.#current = next;
  }

  handle(ctx: QueryContext): void {
    const p = this.#current;
    try {
      p.head.handle(ctx);
    } catch (err) {
      this.panics++;
      this.#log.warn({ err, client: ctx.address }, 'query handling failed; answered SERVFAIL');
      if (!ctx.done) {
        try {
          p.responder.error(ctx, RCode.ServFail);
        } catch {
          p.responder.drop(ctx);
        }
      }
    }
  }
}
