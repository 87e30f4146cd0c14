import { HEADER_SIZE } from './constants.js';

/**
 * The smallest TTL in the answer and authority sections of a response, read straight from the
 * wire (no decode): what an HTTP cache may keep a DoH answer for (RFC 8484 §5.1; a negative
 * answer's SOA in the authority section bounds it as RFC 2308 says). -1 when the sections hold
 * no record or the message cannot be walked.
 */
export function minTtl(wire: Uint8Array): number {
  if (wire.length < HEADER_SIZE) return -1;
  const qd = (wire[4]! << 8) | wire[5]!;
  const records = ((wire[6]! << 8) | wire[7]!) + ((wire[8]! << 8) | wire[9]!);
  let p = HEADER_SIZE;
  for (let i = 0; i < qd; i++) {
    p = skipName(wire, p);
    if (p < 0 || p + 4 > wire.length) return -1;
    p += 4;
  }
  let min = -1;
  for (let i = 0; i < records; i++) {
    p = skipName(wire, p);
    if (p < 0 || p + 10 > wire.length) return -1;
    const ttl = ((wire[p + 4]! << 24) | (wire[p + 5]! << 16) | (wire[p + 6]! << 8) | wire[p + 7]!) >>> 0;
    // RFC 2181 §8: a TTL with the top bit set is treated as zero.
    const t = ttl > 0x7fffffff ? 0 : ttl;
    if (min < 0 || t < min) min = t;
    p += 10 + ((wire[p + 8]! << 8) | wire[p + 9]!);
  }
  return min;
}

/** Offset after the (possibly compressed) name at `p`, or -1. */
function skipName(wire: Uint8Array, p: number): number {
  while (p < wire.length) {
    const len = wire[p]!;
    if (len === 0) return p + 1;
    if ((len & 0xc0) === 0xc0) return p + 2 <= wire.length ? p + 2 : -1;
    if ((len & 0xc0) !== 0) return -1;
    p += 1 + len;
  }
  return -1;
}
