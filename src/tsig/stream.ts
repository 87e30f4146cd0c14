import type { TsigKey } from './keyring.js';
import { signContinuation, signResponse, DEFAULT_FUDGE } from './sign.js';
import { verifyContinuation, verifyResponse, type VerifyResult } from './verify.js';
import { HzError } from '../errors/index.js';

/**
 * Multi-message TCP replies (zone transfers), RFC 8945 §5.3.1. The first message is signed like
 * any reply (over the request MAC); each later one over the previous MAC, the message and the
 * timers. A receiver accepts up to 99 unsigned messages between signed ones, and the last
 * message must be signed.
 */

/** RFC 8945 §5.3.1: at most this many unsigned messages in a row. */
export const MAX_UNSIGNED_IN_ROW = 99;

/**
 * Signs the messages of one reply stream, chaining the MACs. Every message may be signed;
 * `skip()` leaves one unsigned (it is then covered by the next signed message).
 */
export class TsigStreamSigner {
  #prior: Buffer;
  #first = true;
  #pending: Buffer[] = [];

  constructor(readonly key: TsigKey, requestMac: Uint8Array, readonly fudge = DEFAULT_FUDGE) {
    this.#prior = Buffer.from(requestMac);
  }

  /** Returns `msg` with its TSIG record appended. */
  sign(msg: Buffer, now: number): Buffer {
    const opts = { now, fudge: this.fudge, unsignedBefore: this.#pending };
    const s = this.#first
      ? signResponse(msg, this.key, this.#prior, opts)
      : signContinuation(msg, this.key, this.#prior, opts);
    this.#first = false;
    this.#pending = [];
    this.#prior = s.mac;
    return s.wire;
  }

  /**
   * Sends `msg` unsigned. The first message must be signed, and at most 99 may go unsigned in a
   * row (the last message of the stream must be signed too: end with `sign()`).
   */
  skip(msg: Buffer): Buffer {
    if (this.#first) throw new HzError('HZ_ERR_TSIG_STREAM', 'the first message of a TSIG stream must be signed');
    if (this.#pending.length >= MAX_UNSIGNED_IN_ROW) throw new HzError('HZ_ERR_TSIG_STREAM', `more than ${MAX_UNSIGNED_IN_ROW} unsigned messages in a row`);
    this.#pending.push(Buffer.from(msg)); // the caller may reuse its buffer
    return msg;
  }
}

/**
 * Verifies the messages of one reply stream in order. `next()` returns `ok` for a verified
 * signed message, `unsigned` for an unsigned message that is still acceptable (it is then
 * covered by the next signed one), and a failure status otherwise. When the stream ends,
 * `complete` tells whether its last message was signed and verified.
 */
export class TsigStreamVerifier {
  #prior: Buffer;
  #first = true;
  #pending: Buffer[] = [];
  /** Once a message fails, the stream stays failed with this status. */
  #failure: VerifyResult['status'] | null = null;

  constructor(readonly key: TsigKey, requestMac: Uint8Array) {
    this.#prior = Buffer.from(requestMac);
  }

  next(msg: Buffer, now: number): VerifyResult {
    const r = this.#first
      ? verifyResponse(msg, this.key, this.#prior, now)
      : verifyContinuation(msg, this.key, this.#prior, now, this.#pending);
    if (this.#failure) {
      r.status = this.#failure;
    } else if (r.status === 'unsigned') {
      if (this.#first || this.#pending.length >= MAX_UNSIGNED_IN_ROW) this.#failure = r.status = 'formerr';
      else this.#pending.push(Buffer.from(msg));
    } else if (r.status !== 'ok') {
      this.#failure = r.status;
    } else {
      this.#first = false;
      this.#pending = [];
      this.#prior = Buffer.from(r.mac);
    }
    return r;
  }

  /** True when at least one message verified, none failed, and none is left unsigned. */
  get complete(): boolean {
    return !this.#first && this.#failure === null && this.#pending.length === 0;
  }
}
