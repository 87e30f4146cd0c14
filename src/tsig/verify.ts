import { timingSafeEqual } from 'node:crypto';
import { RCode } from '../wire/constants.js';
import { canonicalName } from '../wire/name.js';
import type { Keyring, TsigKey } from './keyring.js';
import { computeMac, Digest } from './mac.js';
import { BAD_TSIG, locateTsig, NO_TSIG, parseTsig, type TsigRecord } from './record.js';

/**
 * TSIG verification (RFC 8945 §5.2, §5.4) over the exact received bytes. The MAC is checked
 * before the time window, so an unauthenticated sender learns nothing about our clock
 * (CVE-2017-3142/3143 class of bugs); `now` is a parameter (seconds since the epoch).
 */

/**
 * - `ok`: signed and verified. `unsigned`: no TSIG record at all.
 * - `formerr`: malformed or misplaced TSIG, or a MAC length RFC 8945 §5.2.2.1 forbids.
 * - `badkey`: unknown key, or known key with another algorithm. `badsig`: MAC mismatch.
 * - `badtime`: MAC fine, outside Time Signed ± Fudge. `badtrunc`: MAC fine but shorter than
 *   the key's configured digest length.
 * For responses, a verified TSIG whose Error field is set reports that error.
 */
export type TsigStatus = 'ok' | 'unsigned' | 'formerr' | 'badkey' | 'badsig' | 'badtime' | 'badtrunc';

export interface VerifyResult {
  status: TsigStatus;
  /** The key the record names, when we hold it (also for badsig/badtime/badtrunc). */
  key: TsigKey | null;
  /** Key and algorithm names as received ('' when there was no readable TSIG). */
  keyName: string;
  algorithm: string;
  /**
   * The MAC as received, possibly truncated: the "request MAC" for signing the reply. A view
   * into the message buffer (as are `otherData`): copy it if that buffer gets reused.
   */
  mac: Buffer;
  /** Where the TSIG record starts; the message without it is `msg[0..tsigOffset)` (ARCOUNT-1). */
  tsigOffset: number;
  originalId: number;
  timeSigned: number;
  fudge: number;
  /** The record's Error field (set by servers in replies). */
  error: number;
  otherData: Buffer;
}

const EMPTY = Buffer.alloc(0);

function result(status: TsigStatus, msg: Buffer, offset: number, rec: TsigRecord | null, key: TsigKey | null): VerifyResult {
  if (!rec) {
    return {
      status, key, keyName: '', algorithm: '', mac: EMPTY, tsigOffset: offset, originalId: msg.length >= 2 ? msg.readUInt16BE(0) : 0,
      timeSigned: 0, fudge: 0, error: 0, otherData: EMPTY,
    };
  }
  return {
    status, key, keyName: rec.keyName, algorithm: rec.algorithm, mac: rec.mac, tsigOffset: offset,
    originalId: rec.originalId, timeSigned: rec.timeSigned, fudge: rec.fudge, error: rec.error, otherData: rec.otherData,
  };
}

/** Maps a TSIG Error field value to a status. */
export function statusFromError(error: number): TsigStatus {
  switch (error) {
    case 0: return 'ok';
    case RCode.BadSig: return 'badsig';
    case RCode.BadKey: return 'badkey';
    case RCode.BadTime: return 'badtime';
    case RCode.BadTrunc: return 'badtrunc';
    default: return 'formerr';
  }
}

/** Shared tail: MAC length rules, MAC (constant time), time window, truncation policy. */
function check(
  msg: Buffer, offset: number, rec: TsigRecord, key: TsigKey, layout: Digest, prior: Uint8Array | null,
  now: number, unsignedBefore: readonly Uint8Array[] | undefined,
): VerifyResult {
  const size = rec.mac.length;
  if (size > key.algorithm.size || size < key.algorithm.minSize) return result('formerr', msg, offset, rec, key);
  const mac = computeMac(key, layout, prior, msg, offset, rec.originalId, 1, rec, unsignedBefore);
  if (!timingSafeEqual(mac.subarray(0, size), rec.mac)) return result('badsig', msg, offset, rec, key);
  if (Math.abs(now - rec.timeSigned) > rec.fudge) return result('badtime', msg, offset, rec, key);
  if (size < key.macSize) return result('badtrunc', msg, offset, rec, key);
  return result('ok', msg, offset, rec, key);
}

/** Locates and parses the TSIG record; a result when that already decides the outcome. */
function read(msg: Buffer): VerifyResult | { offset: number; rec: TsigRecord } {
  const offset = locateTsig(msg);
  if (offset === NO_TSIG) return result('unsigned', msg, msg.length, null, null);
  if (offset === BAD_TSIG) return result('formerr', msg, msg.length, null, null);
  const rec = parseTsig(msg, offset);
  if (!rec) return result('formerr', msg, offset, null, null);
  return { offset, rec };
}

function sameKey(rec: TsigRecord, key: TsigKey): boolean {
  return canonicalName(rec.keyName) === key.name && canonicalName(rec.algorithm) === key.algorithm.name;
}

/**
 * Verifies a request as a server (RFC 8945 §5.2): key, then MAC, then time, then truncation.
 * Never throws on malformed input.
 */
export function verifyRequest(msg: Buffer, keyring: Keyring, now: number): VerifyResult {
  const r = read(msg);
  if ('status' in r) return r;
  const key = keyring.get(r.rec.keyName) ?? null;
  if (!key || canonicalName(r.rec.algorithm) !== key.algorithm.name) return result('badkey', msg, r.offset, r.rec, null);
  return check(msg, r.offset, r.rec, key, Digest.Full, null, now, undefined);
}

/**
 * Verifies a reply (or the first message of a TCP stream) to a request we signed with `key`,
 * whose MAC was `requestMac` (RFC 8945 §5.3, §5.4). Unsigned BADKEY/BADSIG error replies
 * report that status (they carry no MAC, so they prove nothing about the sender).
 */
export function verifyResponse(resp: Buffer, key: TsigKey, requestMac: Uint8Array, now: number): VerifyResult {
  const r = read(resp);
  if ('status' in r) return r;
  return reply(resp, r.offset, r.rec, key, Digest.Full, requestMac, now, undefined);
}

/**
 * Verifies a later message of a TCP stream (RFC 8945 §5.3.1): `priorMac` is the MAC of the
 * previous signed message; `unsignedBefore` are the unsigned messages received since then.
 */
export function verifyContinuation(
  msg: Buffer, key: TsigKey, priorMac: Uint8Array, now: number, unsignedBefore: readonly Uint8Array[] = [],
): VerifyResult {
  const r = read(msg);
  if ('status' in r) return r;
  return reply(msg, r.offset, r.rec, key, Digest.Timers, priorMac, now, unsignedBefore);
}

function reply(
  msg: Buffer, offset: number, rec: TsigRecord, key: TsigKey, layout: Digest, prior: Uint8Array,
  now: number, unsignedBefore: readonly Uint8Array[] | undefined,
): VerifyResult {
  if (!sameKey(rec, key)) return result('badkey', msg, offset, rec, null);
  if (rec.mac.length === 0 && rec.error !== 0) return result(statusFromError(rec.error), msg, offset, rec, key);
  const res = check(msg, offset, rec, key, layout, prior, now, unsignedBefore);
  if (res.status === 'ok' && rec.error !== 0) res.status = statusFromError(rec.error);
  return res;
}
