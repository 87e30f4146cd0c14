import type { TsigKeyConfig } from '../../config/types.js';
import type { Logger } from '../../observability/log.js';
import { Keyring } from '../../tsig/keyring.js';
import { signReply, tsigRcode } from '../../tsig/reply.js';
import { verifyRequest, type VerifyResult } from '../../tsig/verify.js';
import type { UpdateCounters } from '../../update/metrics.js';
import { Opcode } from '../../wire/constants.js';
import { nameWireLength, readName } from '../../wire/name.js';
import { AnswerSource, type QueryContext } from '../context.js';
import { errorResponse, type Responder, type ResponseSigner } from '../responder.js';
import { Outcome, Stage } from '../stage.js';

/** The configured TSIG keys as a keyring (secrets stay inside the TsigKey objects). */
export function keyringFromConfig(keys: readonly TsigKeyConfig[]): Keyring {
  return new Keyring(keys.map((k) => ({ name: k.name, algorithm: k.algorithm, secret: k.secret.bytes() })));
}

/** TSIG RR layout: TYPE..RDLENGTH after the owner; Time Signed, Fudge, MAC Size; Original ID, Error, Other Len. */
const RR_FIXED = 10;
const TIMERS = 10;
const TAIL = 6;

/** Seconds since the epoch, fractions included (TSIG Time Signed is whole seconds). */
const wallClock = (): number => Date.now() / 1000;

/** The verified TSIG state of a query, or null when it carried none. */
export function tsigOf(ctx: QueryContext): VerifyResult | null {
  return (ctx.tsig as VerifyResult | null) ?? null;
}

export interface TsigStageOptions {
  /** Seconds since the epoch (tests move the clock). */
  now?: () => number;
  counters?: UpdateCounters;
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
  readonly #counters: UpdateCounters | null;
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
      if (this.#counters) this.#counters.tsigVerified++;
      return this.next.handle(ctx);
    }
    if (this.#counters) this.#counters.tsig[r.status]++;
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

/**
 * Signs every response to a signed request with the request's MAC (RFC 8945 §5.3), including
 * error responses (Kea rejects unsigned replies and retries). Installed in the Responder.
 */
export class TsigSigner implements ResponseSigner {
  readonly #now: () => number;

  constructor(now: () => number = wallClock) {
    this.#now = now;
  }

  /** Size of the TSIG record the reply will get. */
  reserve(ctx: QueryContext): number {
    const r = tsigOf(ctx);
    if (r === null) return 0;
    switch (r.status) {
      case 'ok':
      case 'badtime':
      case 'badtrunc': {
        const k = r.key!;
        const mac = Math.min(k.algorithm.size, Math.max(k.macSize, r.mac.length)); // as tsig/sign.ts chooses
        const other = r.status === 'badtime' ? 6 : 0;
        return k.nameWire.length + RR_FIXED + k.algorithm.wire.length + TIMERS + mac + TAIL + other;
      }
      case 'badkey':
      case 'badsig':
        return nameWireLength(r.keyName) + RR_FIXED + nameWireLength(r.algorithm) + TIMERS + TAIL;
      default:
        return 0;
    }
  }

  sign(ctx: QueryContext, wire: Buffer): Buffer {
    const r = tsigOf(ctx);
    return r === null ? wire : signReply(wire, r, this.#now());
  }
}
