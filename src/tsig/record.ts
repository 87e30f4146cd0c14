import { HEADER_SIZE, RClass, RRType } from '../wire/constants.js';
import { readName } from '../wire/name.js';

/**
 * The TSIG resource record on the wire (RFC 8945 §4.2), read and written straight from and to
 * message bytes: no decoded message model is involved.
 */

/** Size of TYPE, CLASS, TTL and RDLENGTH after an owner name. */
const RR_FIXED = 10;
/** Time Signed (6), Fudge (2) and MAC Size (2) after the algorithm name. */
const RDATA_TIMERS = 10;
/** Original ID (2), Error (2) and Other Len (2) after the MAC. */
const RDATA_TAIL = 6;

/** Returned by locateTsig when the message has no TSIG record. */
export const NO_TSIG = -1;
/** Returned by locateTsig when the message is malformed or the TSIG is misplaced. */
export const BAD_TSIG = -2;

/** Offset just past a (possibly compressed) name, or -1 when it runs past `end` or is invalid. */
export function skipName(buf: Uint8Array, offset: number, end: number): number {
  let p = offset;
  while (p < end) {
    const len = buf[p]!;
    if (len === 0) return p + 1;
    if ((len & 0xc0) === 0xc0) return p + 2 <= end ? p + 2 : -1;
    if ((len & 0xc0) !== 0) return -1;
    p += len + 1;
  }
  return -1;
}

/** Offset just past the question section, or -1 when it is malformed. */
export function questionEnd(msg: Uint8Array, end = msg.length): number {
  if (end < HEADER_SIZE) return -1;
  let p = HEADER_SIZE;
  for (let n = (msg[4]! << 8) | msg[5]!; n > 0; n--) {
    p = skipName(msg, p, end);
    if (p < 0 || p + 4 > end) return -1;
    p += 4;
  }
  return p;
}

/**
 * Finds the TSIG record: the offset where it starts, NO_TSIG when there is none, or BAD_TSIG when
 * the message does not parse, a TSIG sits anywhere but last in the additional section, or bytes
 * follow it (RFC 8945 §5.2: FORMERR). A plain query (no records after the question) is
 * answered from the header alone.
 */
export function locateTsig(msg: Uint8Array): number {
  const end = msg.length;
  if (end < HEADER_SIZE) return BAD_TSIG;
  const total = ((msg[6]! << 8) | msg[7]!) + ((msg[8]! << 8) | msg[9]!) + ((msg[10]! << 8) | msg[11]!);
  if (total === 0) return NO_TSIG;
  let p = questionEnd(msg, end);
  if (p < 0) return BAD_TSIG;
  let start = 0;
  for (let i = 0; i < total; i++) {
    start = p;
    p = skipName(msg, p, end);
    if (p < 0 || p + RR_FIXED > end) return BAD_TSIG;
    const type = (msg[p]! << 8) | msg[p + 1]!;
    p += RR_FIXED + ((msg[p + 8]! << 8) | msg[p + 9]!);
    if (p > end) return BAD_TSIG;
    if (type === RRType.TSIG && i !== total - 1) return BAD_TSIG;
    if (i === total - 1) {
      if (type !== RRType.TSIG) return NO_TSIG;
      return p === end && ((msg[10]! << 8) | msg[11]!) > 0 ? start : BAD_TSIG;
    }
  }
  return NO_TSIG;
}

/** The fields of a TSIG record; names as read (presentation form, original case). */
export interface TsigRecord {
  keyName: string;
  algorithm: string;
  timeSigned: number;
  fudge: number;
  mac: Buffer;
  originalId: number;
  error: number;
  otherData: Buffer;
}

/**
 * Parses the TSIG record starting at `offset` (as found by locateTsig). Returns null when it is
 * malformed: wrong class or TTL, or any length field that disagrees with RDLENGTH — the MAC
 * Size is never trusted on its own. Buffers returned are views into `msg`.
 */
export function parseTsig(msg: Buffer, offset: number): TsigRecord | null {
  try {
    const owner = readName(msg, offset);
    let p = owner.next;
    if (p + RR_FIXED > msg.length) return null;
    if (msg.readUInt16BE(p + 2) !== RClass.ANY || msg.readUInt32BE(p + 4) !== 0) return null;
    const rdEnd = p + RR_FIXED + msg.readUInt16BE(p + 8);
    if (rdEnd > msg.length) return null;
    const alg = readName(msg, p + RR_FIXED, rdEnd);
    p = alg.next;
    if (p + RDATA_TIMERS > rdEnd) return null;
    const timeSigned = msg.readUIntBE(p, 6);
    const fudge = msg.readUInt16BE(p + 6);
    const macEnd = p + RDATA_TIMERS + msg.readUInt16BE(p + 8);
    if (macEnd + RDATA_TAIL > rdEnd) return null;
    const mac = msg.subarray(p + RDATA_TIMERS, macEnd);
    p = macEnd;
    const otherEnd = p + RDATA_TAIL + msg.readUInt16BE(p + 4);
    if (otherEnd !== rdEnd) return null;
    return {
      keyName: owner.name, algorithm: alg.name, timeSigned, fudge, mac,
      originalId: msg.readUInt16BE(p), error: msg.readUInt16BE(p + 2), otherData: msg.subarray(p + RDATA_TAIL, otherEnd),
    };
  } catch {
    return null;
  }
}

/** What signing puts into a new TSIG record (names already in uncompressed wire form). */
export interface TsigFields {
  keyWire: Uint8Array;
  algorithmWire: Uint8Array;
  timeSigned: number;
  fudge: number;
  mac: Uint8Array;
  originalId: number;
  error: number;
  otherData: Uint8Array;
}

/** Returns a copy of `msg` with the TSIG record appended and ARCOUNT incremented. */
export function appendTsig(msg: Uint8Array, f: TsigFields): Buffer {
  const rdlen = f.algorithmWire.length + RDATA_TIMERS + f.mac.length + RDATA_TAIL + f.otherData.length;
  const out = Buffer.allocUnsafe(msg.length + f.keyWire.length + RR_FIXED + rdlen);
  out.set(msg, 0);
  out.writeUInt16BE((out.readUInt16BE(10) + 1) & 0xffff, 10);
  let p = msg.length;
  out.set(f.keyWire, p);
  p += f.keyWire.length;
  p = out.writeUInt16BE(RRType.TSIG, p);
  p = out.writeUInt16BE(RClass.ANY, p);
  p = out.writeUInt32BE(0, p);
  p = out.writeUInt16BE(rdlen, p);
  out.set(f.algorithmWire, p);
  p += f.algorithmWire.length;
  p = out.writeUIntBE(f.timeSigned, p, 6);
  p = out.writeUInt16BE(f.fudge, p);
  p = out.writeUInt16BE(f.mac.length, p);
  out.set(f.mac, p);
  p += f.mac.length;
  p = out.writeUInt16BE(f.originalId, p);
  p = out.writeUInt16BE(f.error, p);
  p = out.writeUInt16BE(f.otherData.length, p);
  out.set(f.otherData, p);
  return out;
}
