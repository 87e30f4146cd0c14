import { nameToWire } from '../wire/name.js';
import type { TsigKey } from './keyring.js';
import { computeMac, Digest } from './mac.js';
import { appendTsig } from './record.js';

/** RFC 8945 §10 recommends 300 s; Kea D2 uses exactly that. */
export const DEFAULT_FUDGE = 300;

const EMPTY = new Uint8Array(0);

/** A message with its TSIG record appended, and the MAC it carries (for the next step). */
export interface SignedMessage {
  wire: Buffer;
  /** The MAC as sent (truncated when the key says so). */
  mac: Buffer;
}

export interface SignOptions {
  /** Current time in seconds since the epoch (fractions are dropped). */
  now: number;
  fudge?: number;
  /** TSIG Error field (BADTIME, BADTRUNC…); 0 by default. */
  error?: number;
  otherData?: Uint8Array;
  /**
   * Time Signed when it must differ from `now`: a BADTIME reply repeats the request's Time
   * Signed (so the client's own window check passes) and carries our time in Other Data.
   */
  timeSigned?: number;
  /** Continuations only: unsigned messages sent since the previous signed one (RFC 8945 §5.3.1). */
  unsignedBefore?: readonly Uint8Array[];
}

/** The 6-octet Other Data of a BADTIME reply: our current time (RFC 8945 §5.2.3). */
export function serverTimeData(now: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUIntBE(Math.floor(now), 0, 6);
  return b;
}

/**
 * MAC length for a reply: the key's, but never shorter than the MAC the peer used, since a peer
 * with a full-length key rejects a truncated reply (and a peer's truncated MAC shorter than our
 * key allows never verifies in the first place: BADTRUNC).
 */
function replyMacSize(key: TsigKey, prior: Uint8Array): number {
  return Math.min(key.algorithm.size, Math.max(key.macSize, prior.length));
}

function sign(
  msg: Buffer, key: TsigKey, layout: Digest, prior: Uint8Array | null, macSize: number, opts: SignOptions,
): SignedMessage {
  const id = msg.readUInt16BE(0);
  const v = {
    timeSigned: Math.floor(opts.timeSigned ?? opts.now),
    fudge: opts.fudge ?? DEFAULT_FUDGE,
    error: opts.error ?? 0,
    otherData: opts.otherData ?? EMPTY,
  };
  const mac = computeMac(key, layout, prior, msg, msg.length, id, 0, v, opts.unsignedBefore).subarray(0, macSize);
  const wire = appendTsig(msg, {
    keyWire: key.nameWire, algorithmWire: key.algorithm.wire, timeSigned: v.timeSigned, fudge: v.fudge,
    mac, originalId: id, error: v.error, otherData: v.otherData,
  });
  return { wire, mac };
}

/** Signs a request we send (a client, forwarder, NOTIFY or transfer request). */
export function signRequest(msg: Buffer, key: TsigKey, now: number, fudge = DEFAULT_FUDGE): SignedMessage {
  return sign(msg, key, Digest.Full, null, key.macSize, { now, fudge });
}

/**
 * Signs a reply to a verified request (RFC 8945 §5.3): the MAC covers the request MAC (as
 * received, truncated or not), the reply, and the TSIG variables. Also the first message of a
 * TCP stream. `resp` must not already carry a TSIG record. The MAC is as long as the key says,
 * or as the request MAC if that is longer.
 */
export function signResponse(resp: Buffer, key: TsigKey, requestMac: Uint8Array, opts: SignOptions): SignedMessage {
  return sign(resp, key, Digest.Full, requestMac, replyMacSize(key, requestMac), opts);
}

/**
 * Signs the second and later messages of a TCP stream (RFC 8945 §5.3.1): the MAC covers the
 * previous signed message's MAC, any unsigned messages sent since (`opts.unsignedBefore`), this
 * message, and the timers only (Error and Other Data are not digested).
 */
export function signContinuation(msg: Buffer, key: TsigKey, priorMac: Uint8Array, opts: SignOptions): SignedMessage {
  return sign(msg, key, Digest.Timers, priorMac, replyMacSize(key, priorMac), opts);
}

/**
 * Appends an unsigned TSIG record (MAC Size 0) reporting `error`: the only allowed answer to a
 * request whose key is unknown (BADKEY) or whose MAC is wrong (BADSIG), RFC 8945 §5.3.2.
 * Key and algorithm names echo the request's.
 */
export function appendUnsignedTsig(
  resp: Buffer, keyName: string, algorithm: string, error: number, now: number, fudge = DEFAULT_FUDGE,
): Buffer {
  return appendTsig(resp, {
    keyWire: nameToWire(keyName), algorithmWire: nameToWire(algorithm), timeSigned: Math.floor(now), fudge,
    mac: EMPTY, originalId: resp.readUInt16BE(0), error, otherData: EMPTY,
  });
}
