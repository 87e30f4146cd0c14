import { HEADER_SIZE, RCode, RRType } from '../../wire/constants.js';
import { WireError } from '../../wire/errors.js';
import { skipName } from '../../wire/query-view.js';
import { EntryKind } from './entry.js';

/** The TTL rules applied when an upstream answer is packed for the cache. */
export interface TtlPolicy {
  minTtl: number;
  maxTtl: number;
  negativeMaxTtl: number;
}

/**
 * An upstream answer ready to be cached and patched for each client, as one block:
 * `[nTtl offsets of TTL fields in the wire, uint16 little endian][wire]` — the layout the
 * cache's WireArena stores as is.
 */
export interface PackedAnswer {
  block: Buffer;
  /** Number of TTL offsets at the start of `block`. */
  nTtl: number;
  /** The wire part of `block`: a fresh copy without OPT/TSIG, ARCOUNT fixed, AA cleared, RA set; TTLs clamped when cacheable. */
  wire: Buffer;
  /** Full RCODE (extended bits from the OPT record included). */
  rcode: number;
  kind: EntryKind;
  /** Seconds the answer may be cached; 0 when it must not be (TC=1, SOA-less negative, TTL 0). */
  ttl: number;
  truncated: boolean;
}

/** TTL values with the top bit set count as zero (RFC 2181 §8). */
function readTtl(b: Buffer, at: number): number {
  const v = b.readUInt32BE(at);
  return v > 0x7fffffff ? 0 : v;
}

/**
 * Packs an upstream response (cold path, once per upstream answer, Blocky `packForCache`):
 * walks the records once to find every TTL, drops the OPT record (and TSIG/SIG(0), and any
 * additional record after them), and decides cacheability and the entry TTL:
 * - positive: every TTL clamped into [minTtl, maxTtl], entry TTL = the smallest;
 * - NXDOMAIN / NODATA: RFC 2308 §5 negative TTL = min(SOA TTL, SOA MINIMUM, negativeMaxTtl),
 *   written into the SOA and capping every other TTL; not cacheable without an SOA;
 * - other RCODEs: kind Failure (the caller answers SERVFAIL or stale);
 * - TC=1: never cacheable.
 * Throws WireError when the message cannot be walked.
 */
export function packAnswer(src: Buffer, policy: TtlPolicy): PackedAnswer {
  const len = src.length;
  if (len < HEADER_SIZE) throw new WireError('answer shorter than its header', 0);
  if ((src[4]! << 8 | src[5]!) !== 1) throw new WireError('answer does not hold exactly one question', 4);
  const an = src.readUInt16BE(6);
  const ns = src.readUInt16BE(8);
  const ar = src.readUInt16BE(10);
  let p = skipName(src, HEADER_SIZE, len);
  if (p < 0 || p + 4 > len) throw new WireError('malformed question in answer', HEADER_SIZE);
  p += 4;
  const offsets = new Uint16Array(an + ns + ar);
  let n = 0;
  let soaTtlAt = -1;
  let soaMinimum = 0;
  let keptEnd = len;
  let keptAr = ar;
  let extRcode = 0;
  for (let i = 0; i < an + ns + ar; i++) {
    const start = p;
    p = skipName(src, p, len);
    if (p < 0 || p + 10 > len) throw new WireError('malformed record in answer', start);
    const type = src.readUInt16BE(p);
    const rdlen = src.readUInt16BE(p + 8);
    const end = p + 10 + rdlen;
    if (end > len) throw new WireError('record data runs past the end of the answer', p);
    if (i >= an + ns && (type === RRType.OPT || type === RRType.TSIG || type === 24 /* SIG(0) */)) {
      if (type === RRType.OPT) extRcode = src[p + 4]!;
      // Keep the additional records before it; what follows OPT/TSIG is dropped.
      if (keptEnd === len) { keptEnd = start; keptAr = i - an - ns; }
      p = end;
      continue;
    }
    if (keptEnd === len) {
      offsets[n++] = p + 4;
      if (type === RRType.SOA && soaTtlAt < 0 && i >= an && i < an + ns && rdlen >= 22) {
        soaTtlAt = p + 4;
        soaMinimum = readTtl(src, end - 4);
      }
    }
    p = end;
  }
  if (p !== len) throw new WireError('trailing bytes after the last record of the answer', p);
  // The block is short-lived: the cache copies it into its arena.
  const block = Buffer.allocUnsafe(n * 2 + keptEnd);
  for (let i = 0; i < n; i++) block.writeUInt16LE(offsets[i]!, 2 * i);
  const wire = block.subarray(n * 2);
  src.copy(wire, 0, 0, keptEnd);
  wire.writeUInt16BE(keptAr, 10);
  wire[2] = (wire[2]! | 0x80) & ~0x04; // QR set, AA cleared: we are not authoritative for it
  wire[3]! |= 0x80; // RA
  const rcode = (extRcode << 4) | (src[3]! & 0xf);
  const truncated = (src[2]! & 0x02) !== 0;
  const out: PackedAnswer = { block, nTtl: n, wire, rcode, kind: EntryKind.Failure, ttl: 0, truncated };
  const ttlOffsets = offsets.subarray(0, n);
  if (rcode === RCode.NoError && an > 0) {
    out.kind = EntryKind.Positive;
    if (!truncated) out.ttl = clampPositive(wire, ttlOffsets, policy);
  } else if (rcode === RCode.NXDomain || rcode === RCode.NoError) {
    out.kind = EntryKind.Negative;
    if (!truncated && soaTtlAt >= 0) out.ttl = capNegative(wire, ttlOffsets, soaTtlAt, soaMinimum, policy);
  }
  return out;
}

/** The i-th TTL offset of a block (relative to the wire part). */
export function ttlOffset(block: Buffer, i: number): number {
  return block.readUInt16LE(2 * i);
}

function clampPositive(wire: Buffer, offsets: Uint16Array, policy: TtlPolicy): number {
  const lo = Math.round(policy.minTtl);
  const hi = Math.round(policy.maxTtl);
  let min = hi;
  for (let i = 0; i < offsets.length; i++) {
    const at = offsets[i]!;
    let ttl = readTtl(wire, at);
    if (ttl < lo) ttl = lo;
    if (ttl > hi) ttl = hi;
    wire.writeUInt32BE(ttl, at);
    if (ttl < min) min = ttl;
  }
  return min;
}

function capNegative(wire: Buffer, offsets: Uint16Array, soaTtlAt: number, soaMinimum: number, policy: TtlPolicy): number {
  let neg = readTtl(wire, soaTtlAt);
  if (soaMinimum < neg) neg = soaMinimum;
  const cap = Math.round(policy.negativeMaxTtl);
  if (neg > cap) neg = cap;
  let min = neg;
  for (let i = 0; i < offsets.length; i++) {
    const at = offsets[i]!;
    let ttl = at === soaTtlAt ? neg : readTtl(wire, at);
    if (ttl > neg) ttl = neg;
    wire.writeUInt32BE(ttl, at);
    if (ttl < min) min = ttl;
  }
  return min;
}

/**
 * An answer whose records were all filtered out (rebinding protection): header and question
 * only, NOERROR, AD cleared, cacheable as long as the original answer was.
 */
export function emptyAnswer(p: PackedAnswer): PackedAnswer {
  const qEnd = skipName(p.wire, HEADER_SIZE, p.wire.length) + 4;
  const wire = Buffer.from(p.wire.subarray(0, qEnd));
  wire.fill(0, 6, 12);
  wire[3] = wire[3]! & 0xd0; // RA and CD kept, AD and RCODE cleared
  return { block: wire, nTtl: 0, wire, rcode: RCode.NoError, kind: EntryKind.Negative, ttl: p.ttl, truncated: p.truncated };
}
