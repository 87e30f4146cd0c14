import type { QueryContext } from './context.js';
import { HzError } from '../errors/index.js';

/** What a stage did with the query. Error answers (REFUSED, SERVFAIL...) count as Answered. */
export const Outcome = { Answered: 0, Dropped: 1, Pending: 2 } as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

/**
 * One step of the request path (CoreDNS's Handler, Blocky's resolver-with-next). A stage either
 * answers (`ctx.respond(...)` and returns Answered), drops, or delegates with
 * `return this.next.handle(ctx)`. It stays synchronous; a stage that starts real I/O calls
 * `ctx.detach()` first, returns Pending, and responds on the detached context later.
 */
export abstract class Stage {
  abstract readonly name: string;
  /** Linked once by chain(); the last stage's next is never called. */
  next!: Stage;
  abstract handle(ctx: QueryContext): Outcome;
}

/** Links stages in order and returns the head. Built once per runtime. */
export function chain(stages: Stage[]): Stage {
  if (stages.length === 0) throw new HzError('HZ_ERR_INTERNAL', 'pipeline: empty chain');
  for (let i = 0; i < stages.length - 1; i++) stages[i]!.next = stages[i + 1]!;
  return stages[0]!;
}
