import type { Logger } from '../../observability/log.js';
import type { Keyring } from '../../tsig/keyring.js';
import type { TsigCounters } from '../../tsig/metrics.js';
import { tsigRcode } from '../../tsig/reply.js';
import { verifyRequest, type VerifyResult } from '../../tsig/verify.js';
import { Opcode } from '../../wire/constants.js';
import { readName } from '../../wire/name.js';
import { AnswerSource, type QueryContext } from '../context.js';
import { errorResponse, type Responder } from '../responder.js';
import { Outcome, Stage } from '../stage.js';

/** Seconds since the epoch, fractions included (TSIG Time Signed is whole seconds). */
const wallClock = (): number => Date.now() / 1000;

export interface TsigStageOptions {
  /** Seconds since the epoch (tests move the clock). */
  now?: () => number;
  counters?: TsigCounters;
  log?: Logger;
}

/**
 * Verifies every signed message, queries as well as updates (RFC 8945 §5.2), and keeps the
 * result in `ctx.tsig` for the stages after it and for the TsigSigner on the way out. Unsigned
 * messages pass untouched (one flag test). A failed verification is answered here: NOTAUTH with
 * an unsigned BADKEY/BADSIG TSIG, NOTAUTH with a signed BADTIME (carrying our time) or BADTRUNC,
 * FORMERR for a malformed TSIG record (see tsig/reply.ts).
 */
export class TsigStage extends Stage {
  readonly name = 'tsig';
  readonly #out: Responder;
  readonly #keyring: Keyring;
  readonly #now: () => number;
  readonly #counters: TsigCounters | null;
  readonly #log: Logger | null;

  constructor(out: Responder, keyring: Keyring, opts: TsigStageOptions = {}) {
    super();
    this.#out = out;
    this.#keyring = keyring;
    this.#now = opts.now ?? wallClock;
    this.#counters = opts.counters ?? null;
    this.#log = opts.log ?? null;
  }

  handle(ctx: QueryContext): Outcome {
    if (!ctx.q.hasOtherAdditional) return this.next.handle(ctx);
    const r = verifyRequest(ctx.msg, this.#keyring, this.#now());
    if (r.status === 'unsigned') return this.next.handle(ctx);
    ctx.tsig = r;
    if (r.status === 'ok') {
      if (this.#counters) this.#counters.verified++;
      return this.next.handle(ctx);
    }
    if (this.#counters) this.#counters.failures[r.status]++;
    this.#report(ctx, r);
    ctx.source = AnswerSource.Error;
    this.#out.send(ctx, errorResponse(ctx, tsigRcode(r.status)));
    return Outcome.Answered;
  }

  /** One line for a refused update; signed queries that fail are only logged at debug. */
  #report(ctx: QueryContext, r: VerifyResult): void {
    const log = this.#log;
    if (log === null) return;
    const update = ctx.q.opcode === Opcode.Update;
    if (!update && !log.isLevelEnabled('debug')) return;
    let zone = '';
    try {
      zone = readName(ctx.msg, 12).name;
    } catch {
      zone = '(unreadable)';
    }
    const fields = { client: ctx.address, key: r.keyName || '(none)', zone, reason: `tsig-${r.status}` };
    const line = `${update ? 'update' : 'query'} refused: TSIG verification failed (${r.status.toUpperCase()})`;
    if (update) log.warn(fields, line);
    else log.debug(fields, line);
  }
}
