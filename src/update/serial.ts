/**
 * SOA serial numbers in RFC 1982 arithmetic (SERIAL_BITS = 32): comparison is defined only
 * within half the number space, and an increment wraps at 2^32.
 */

const HALF = 0x80000000;

/** True when serial `a` is greater than `b` (RFC 1982 §3.2). */
export function serialGt(a: number, b: number): boolean {
  const x = a >>> 0;
  const y = b >>> 0;
  return (x < y && y - x > HALF) || (x > y && x - y < HALF);
}

/**
 * The next serial after `s`: s + 1 modulo 2^32, skipping 0 (several secondaries and tools read
 * 0 as "unset", so BIND never produces it by incrementing either).
 */
export function nextSerial(s: number): number {
  const n = ((s >>> 0) + 1) % 0x100000000;
  return n === 0 ? 1 : n;
}

/** The larger of two serials in RFC 1982 order (`a` when they are equal or incomparable). */
export function maxSerial(a: number, b: number): number {
  return serialGt(b, a) ? b >>> 0 : a >>> 0;
}

/** A copy of SOA RDATA with its SERIAL field (the fifth-last 32-bit word) replaced. */
export function withSerial(soa: Uint8Array, serial: number): Uint8Array {
  const out = new Uint8Array(soa);
  new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(out.byteLength - 20, serial >>> 0);
  return out;
}
