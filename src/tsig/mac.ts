import { RClass, HEADER_SIZE } from '../wire/constants.js';
import type { TsigKey } from './keyring.js';

/** The per-record inputs of a MAC besides the key (RFC 8945 §4.3.3). */
export interface MacVariables {
  timeSigned: number;
  fudge: number;
  error: number;
  otherData: Uint8Array;
}

/** Which digest layout to use (RFC 8945 §4.3). */
export const Digest = {
  /** Request, or first response (then with the request MAC as `prior`): all TSIG variables. */
  Full: 0,
  /** Second and later messages of a TCP stream (§5.3.1): prior MAC, messages, timers only. */
  Timers: 1,
} as const;
export type Digest = (typeof Digest)[keyof typeof Digest];

/**
 * Computes the full-length HMAC for a message.
 *
 * - `prior`: the request MAC (responses) or the previous MAC (continuations), digested as a
 *   16-bit length then the bytes; null for requests.
 * - `msg[0..end)`: the message without its TSIG record. Its header is digested with the ID
 *   replaced by `originalId` and ARCOUNT lowered by `drop` (1 when `end` cuts off a TSIG
 *   record that ARCOUNT still counts, 0 when signing a message that has none yet).
 * - `unsignedBefore`: earlier unsigned messages of a TCP stream, digested as received.
 */
export function computeMac(
  key: TsigKey, layout: Digest, prior: Uint8Array | null, msg: Uint8Array, end: number,
  originalId: number, drop: number, v: MacVariables, unsignedBefore: readonly Uint8Array[] = [],
): Buffer {
  const h = key.hmac();
  if (prior) {
    const len = Buffer.allocUnsafe(2);
    len.writeUInt16BE(prior.length, 0);
    h.update(len);
    h.update(prior);
  }
  for (const m of unsignedBefore) h.update(m);
  const header = Buffer.allocUnsafe(HEADER_SIZE);
  header.set(msg.subarray(0, HEADER_SIZE));
  header.writeUInt16BE(originalId, 0);
  header.writeUInt16BE((header.readUInt16BE(10) - drop) & 0xffff, 10);
  h.update(header);
  h.update(msg.subarray(HEADER_SIZE, end));
  if (layout === Digest.Timers) {
    const timers = Buffer.allocUnsafe(8);
    timers.writeUIntBE(v.timeSigned, 0, 6);
    timers.writeUInt16BE(v.fudge, 6);
    h.update(timers);
    return h.digest();
  }
  const kw = key.nameWire;
  const aw = key.algorithm.wire;
  const vars = Buffer.allocUnsafe(kw.length + 6 + aw.length + 12 + v.otherData.length);
  let p = 0;
  vars.set(kw, p);
  p += kw.length;
  p = vars.writeUInt16BE(RClass.ANY, p);
  p = vars.writeUInt32BE(0, p);
  vars.set(aw, p);
  p += aw.length;
  p = vars.writeUIntBE(v.timeSigned, p, 6);
  p = vars.writeUInt16BE(v.fudge, p);
  p = vars.writeUInt16BE(v.error, p);
  p = vars.writeUInt16BE(v.otherData.length, p);
  vars.set(v.otherData, p);
  h.update(vars);
  return h.digest();
}
