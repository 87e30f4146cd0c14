import type { Logger } from '../../observability/log.js';
import { Opcode, RCode } from '../../wire/constants.js';
import { canonicalName, readName } from '../../wire/name.js';
import type { ReplicationManager } from '../../xfr/manager.js';
import { forwardDefaults, forwardUpdate } from '../../xfr/update-forward.js';
import { AnswerSource, TransportKind, type QueryContext } from '../context.js';
import type { Responder } from '../responder.js';
import { Outcome, Stage } from '../stage.js';
import { codeOf } from '../../errors/index.js';

/**
 * UPDATE for a secondary zone (RFC 2136 §6). With `allowUpdateForwarding` the message goes to
 * the zone's primary unchanged and the primary's answer back unchanged (its TSIG is the
 * primary's, made over the client's request MAC), so this server needs neither the client's
 * key nor any update policy. Without it: REFUSED. UPDATEs for other zones go on to the update
 * stage. It sits before the tsig stage so signed requests are relayed as they came, whatever
 * keys this server holds.
 */
export class UpdateForwardStage extends Stage {
  readonly name = 'update-forward';
  readonly #out: Responder;
  readonly #repl: ReplicationManager;
  readonly #log: Logger;
  readonly #timeoutMs: number;

  constructor(out: Responder, repl: ReplicationManager, log: Logger, timeoutMs: number = forwardDefaults.timeoutMs) {
    super();
    this.#out = out;
    this.#repl = repl;
    this.#log = log.child({ component: 'xfr' });
    this.#timeoutMs = timeoutMs;
  }

  handle(ctx: QueryContext): Outcome {
    if (ctx.q.opcode !== Opcode.Update || ctx.q.qdcount !== 1) return this.next.handle(ctx);
    const key = canonicalName(readName(ctx.msg, ctx.q.qnameStart).name);
    const sz = this.#repl.secondary(key);
    if (sz === undefined) return this.next.handle(ctx);
    ctx.source = AnswerSource.Update;
    if (!sz.config.allowUpdateForwarding) {
      this.#repl.counters.forwarded.inc(key, 'refused');
      this.#log.info({ zone: sz.origin, client: ctx.address }, 'update for a secondary zone refused: allowUpdateForwarding is off');
      this.#out.error(ctx, RCode.Refused, AnswerSource.Refused);
      return Outcome.Answered;
    }
    const c = ctx.detach();
    const msg = Buffer.from(c.msg); // the transport's buffer may be reused meanwhile
    forwardUpdate(msg, c.transport === TransportKind.Tcp, sz.config.primaries, this.#repl.resolve, { timeoutMs: this.#timeoutMs }).then(
      (r) => {
        this.#repl.counters.forwarded.inc(key, 'ok');
        this.#log.info({ zone: sz.origin, client: c.address, primary: r.primary, rcode: r.answer[3]! & 0xf }, 'update forwarded to the primary');
        c.done = true;
        c.sink!.reply(c, r.answer);
      },
      (err: Error) => {
        this.#repl.counters.forwarded.inc(key, 'failed');
        this.#log.warn({ zone: sz.origin, client: c.address, code: codeOf(err) }, `update could not be forwarded to a primary: ${err.message}`);
        this.#out.error(c, RCode.ServFail);
      },
    );
    return Outcome.Pending;
  }
}
