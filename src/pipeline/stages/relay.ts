import type { Logger } from '../../observability/log.js';
import { Opcode, RCode } from '../../wire/constants.js';
import type { QueryContext } from '../context.js';
import type { Responder } from '../responder.js';
import { Outcome, Stage } from '../stage.js';
import { codeOf } from '../../errors/index.js';

/** Hands one message to the worker that owns journals and transfers; resolves with its answer (null: none). */
export type Relay = (msg: Buffer, address: string, port: number, family: 4 | 6) => Promise<Buffer | null>;

/**
 * In a query worker (`server.workers` > 1): UPDATE and NOTIFY are not ours to handle, since one
 * process appends to the journals and runs the transfers. The message goes to that worker as it
 * came (signature and all) with the client's address, and its answer (signed there) back
 * unchanged; the owner counts it. No answer in time: SERVFAIL, which Kea and secondaries retry.
 */
export class RelayStage extends Stage {
  readonly name = 'relay';
  readonly #out: Responder;
  readonly #relay: Relay;
  readonly #log: Logger;

  constructor(out: Responder, relay: Relay, log: Logger) {
    super();
    this.#out = out;
    this.#relay = relay;
    this.#log = log.child({ component: 'cluster' });
  }

  handle(ctx: QueryContext): Outcome {
    const op = ctx.q.opcode;
    if (op !== Opcode.Update && op !== Opcode.Notify) return this.next.handle(ctx);
    const c = ctx.detach();
    const msg = Buffer.from(c.msg); // the transport's buffer may be reused meanwhile
    this.#relay(msg, c.address, c.port, c.family).then(
      (wire) => {
        if (wire === null) return this.#out.drop(c);
        c.done = true;
        c.sink!.reply(c, wire);
      },
      (err: Error) => {
        this.#log.warn({ client: c.address, opcode: op, code: codeOf(err) }, `message not handed to the owner worker: ${err.message}`);
        this.#out.error(c, RCode.ServFail);
      },
    );
    return Outcome.Pending;
  }
}
