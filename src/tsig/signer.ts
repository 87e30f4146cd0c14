import type { TsigKeyConfig } from '../config/types.js';
import { Keyring, type TsigKey } from './keyring.js';
import { signReply } from './reply.js';
import type { VerifyResult } from './verify.js';
import { nameWireLength } from '../wire/name.js';

/** The configured TSIG keys as a keyring (secrets stay inside the TsigKey objects). */
export function keyringFromConfig(keys: readonly TsigKeyConfig[]): Keyring {
  return new Keyring(keys.map((k) => ({ name: k.name, algorithm: k.algorithm, secret: k.secret.bytes() })));
}

/** TSIG RR layout: TYPE..RDLENGTH after the owner; Time Signed, Fudge, MAC Size; Original ID, Error, Other Len. */
const RR_FIXED = 10;
const TIMERS = 10;
const TAIL = 6;
/** Other Data of a BADTIME answer: our time (RFC 8945 §5.2.3). */
const BADTIME_OTHER = 6;

/** Seconds since the epoch, fractions included (TSIG Time Signed is whole seconds). */
const wallClock = (): number => Date.now() / 1000;

/** Bytes of the TSIG record `key` adds to a message, with a MAC of `macSize` octets. */
export function tsigRecordSize(key: TsigKey, macSize: number, otherLen = 0): number {
  return key.nameWire.length + RR_FIXED + key.algorithm.wire.length + TIMERS + macSize + TAIL + otherLen;
}

/** Bytes of the TSIG record the reply to a request verified as `r` gets (0: none). */
export function replyTsigSize(r: VerifyResult): number {
  switch (r.status) {
    case 'ok':
    case 'badtime':
    case 'badtrunc': {
      const k = r.key!;
      const mac = Math.min(k.algorithm.size, Math.max(k.macSize, r.mac.length)); // as sign.ts chooses
      return tsigRecordSize(k, mac, r.status === 'badtime' ? BADTIME_OTHER : 0);
    }
    case 'badkey':
    case 'badsig':
      return nameWireLength(r.keyName) + RR_FIXED + nameWireLength(r.algorithm) + TIMERS + TAIL;
    default:
      return 0;
  }
}

/** What the signer reads of a query: its verified TSIG state (the request path's QueryContext fits). */
export interface SignedQuery {
  readonly tsig: VerifyResult | null;
}

/**
 * Signs every response to a signed request with the request's MAC (RFC 8945 §5.3), including
 * error responses (Kea rejects unsigned replies and retries). Installed in the Responder.
 */
export class TsigSigner {
  readonly #now: () => number;

  constructor(now: () => number = wallClock) {
    this.#now = now;
  }

  /** Size of the TSIG record the reply will get. */
  reserve(ctx: SignedQuery): number {
    return ctx.tsig === null ? 0 : replyTsigSize(ctx.tsig);
  }

  sign(ctx: SignedQuery, wire: Buffer): Buffer {
    const r = ctx.tsig;
    return r === null ? wire : signReply(wire, r, this.#now());
  }
}
