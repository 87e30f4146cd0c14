/**
 * Cheap IP address text <-> bytes conversion for the per-query path (client addresses from
 * node:dgram / node:net, which are always well formed). Strict: IPv4 is exactly four decimal
 * parts without leading zeros; IPv6 follows RFC 4291 §2.2 (one `::`, optional trailing dotted
 * quad) and an RFC 4007 zone suffix (`fe80::1%eth0`) is ignored. Nothing here allocates except
 * `formatAddress`.
 */

/** Address family as the rest of horizond spells it (node:dgram's `rinfo.family` minus the 'IPv'). */
export type Family = 4 | 6;

/** Bytes in an address of the family. */
export function addressSize(family: Family): 4 | 16 {
  return family === 4 ? 4 : 16;
}

/** Bits in an address of the family. */
export function addressBits(family: Family): 32 | 128 {
  return family === 4 ? 32 : 128;
}

/**
 * Parses a dotted-quad IPv4 address in `s[start..end)` to an unsigned 32-bit number
 * (`'10.0.0.1'` → 0x0a000001). Returns -1 when it is not one.
 */
export function parseIPv4(s: string, start = 0, end = s.length): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && part === 0) return -1; // leading zero
      part = part * 10 + (c - 0x30);
      if (part > 255) return -1;
      digits++;
    } else if (c === 0x2e /* . */) {
      if (digits === 0 || parts === 3) return -1;
      value = value * 256 + part;
      parts++;
      part = 0;
      digits = 0;
    } else {
      return -1;
    }
  }
  if (digits === 0 || parts !== 3) return -1;
  return value * 256 + part;
}

const COLON = 0x3a;
const DOT = 0x2e;
const PERCENT = 0x25;

function zeroFill(out: Uint8Array, from: number, to: number): void {
  for (let i = from; i < to; i++) out[i] = 0;
}

/**
 * Parses an IPv6 address in `s[start..end)` into `out[offset..offset+16)`. Returns false (with
 * `out` partly written) when it is not one. A `%zone` suffix is ignored.
 */
export function parseIPv6(s: string, out: Uint8Array, offset = 0, start = 0, end = s.length): boolean {
  const limit = offset + 16;
  let pos = start;
  let o = offset; // next byte to write
  let gap = -1; // byte position of '::'
  if (pos < end && s.charCodeAt(pos) === COLON) {
    if (pos + 1 >= end || s.charCodeAt(pos + 1) !== COLON) return false;
    gap = o;
    pos += 2;
    if (pos === end || s.charCodeAt(pos) === PERCENT) { zeroFill(out, offset, limit); return true; }
  }
  for (;;) {
    // one group: 1-4 hex digits, or a trailing dotted quad
    const groupStart = pos;
    let v = 0;
    let c = -1;
    while (pos < end) {
      c = s.charCodeAt(pos);
      if (c >= 0x30 && c <= 0x39) {
        v = (v << 4) | (c - 0x30);
      } else {
        const l = c | 0x20;
        if (l < 0x61 || l > 0x66) break;
        v = (v << 4) | (l - 0x57);
      }
      pos++;
    }
    const n = pos - groupStart;
    if (pos < end && c === DOT) {
      let quadEnd = pos;
      while (quadEnd < end && s.charCodeAt(quadEnd) !== PERCENT) quadEnd++;
      const v4 = o + 4 <= limit ? parseIPv4(s, groupStart, quadEnd) : -1;
      if (v4 < 0) return false;
      out[o] = v4 >>> 24;
      out[o + 1] = (v4 >>> 16) & 0xff;
      out[o + 2] = (v4 >>> 8) & 0xff;
      out[o + 3] = v4 & 0xff;
      o += 4;
      break;
    }
    if (n === 0 || n > 4 || o === limit) return false;
    out[o++] = v >>> 8;
    out[o++] = v & 0xff;
    if (pos === end || c === PERCENT) break;
    if (c !== COLON) return false;
    pos++;
    if (pos < end && s.charCodeAt(pos) === COLON) {
      if (gap >= 0) return false;
      gap = o;
      pos++;
      if (pos === end || s.charCodeAt(pos) === PERCENT) break;
    } else if (pos === end) {
      return false; // trailing single ':'
    }
  }
  if (gap < 0) return o === limit;
  if (o === limit) return false; // '::' must stand for at least one group
  const tail = o - gap; // bytes written after '::' move to the end
  for (let i = tail - 1; i >= 0; i--) out[limit - tail + i] = out[gap + i]!;
  zeroFill(out, gap, limit - tail);
  return true;
}

/**
 * Parses either family into `out[offset..)`: 4 bytes for IPv4, 16 for IPv6 (IPv4-mapped IPv6
 * stays 16 bytes; see `isIPv4Mapped`). Returns the family, or 0 when `s` is not an address.
 */
export function parseAddress(s: string, out: Uint8Array, offset = 0): Family | 0 {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) === 0x3a) return parseIPv6(s, out, offset) ? 6 : 0;
  }
  const v = parseIPv4(s);
  if (v < 0) return 0;
  out[offset] = v >>> 24;
  out[offset + 1] = (v >>> 16) & 0xff;
  out[offset + 2] = (v >>> 8) & 0xff;
  out[offset + 3] = v & 0xff;
  return 4;
}

/** True when the 16 bytes at `offset` are an IPv4-mapped IPv6 address (`::ffff:0:0/96`). */
export function isIPv4Mapped(b: ArrayLike<number>, offset = 0): boolean {
  for (let i = 0; i < 10; i++) if (b[offset + i] !== 0) return false;
  return b[offset + 10] === 0xff && b[offset + 11] === 0xff;
}

/** The 4 bytes at `offset` as an unsigned 32-bit number. */
export function readIPv4(b: ArrayLike<number>, offset = 0): number {
  return ((b[offset]! << 24) | (b[offset + 1]! << 16) | (b[offset + 2]! << 8) | b[offset + 3]!) >>> 0;
}

/**
 * Text form of the address at `b[offset..)`: dotted quad, or RFC 5952 IPv6 (lower case, the
 * longest run of two or more zero groups shortened to `::`, the first one on a tie, and
 * IPv4-mapped addresses as `::ffff:a.b.c.d`). Cold path (logs, tests, reverse names).
 */
export function formatAddress(b: ArrayLike<number>, family: Family, offset = 0): string {
  if (family === 4) return `${b[offset]}.${b[offset + 1]}.${b[offset + 2]}.${b[offset + 3]}`;
  if (isIPv4Mapped(b, offset)) return '::ffff:' + formatAddress(b, 4, offset + 12);
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[offset + i]! << 8) | b[offset + i + 1]!);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (from: number, to: number): string => groups.slice(from, to).map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(0, 8);
  return hex(0, bestStart) + '::' + hex(bestStart + bestLen, 8);
}
