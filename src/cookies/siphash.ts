/**
 * SipHash-2-4 (Aumasson and Bernstein), the MAC RFC 9018 server cookies use, over 32-bit integer
 * halves (no BigInt, no allocation per call). `key` is 16 bytes; the 64-bit result is written
 * little-endian into `out` at `at`, as the reference implementation does.
 */

// State: v0..v3 as [hi, lo] pairs.
const v = new Uint32Array(8);

function add(a: number, b: number): void {
  // v[a] += v[b]
  const lo = (v[a + 1]! + v[b + 1]!) >>> 0;
  v[a] = (v[a]! + v[b]! + (lo < v[a + 1]! ? 1 : 0)) >>> 0;
  v[a + 1] = lo;
}

function rotl(a: number, n: number): void {
  let hi = v[a]!;
  let lo = v[a + 1]!;
  if (n >= 32) {
    const t = hi;
    hi = lo;
    lo = t;
    n -= 32;
  }
  if (n > 0) {
    const h = ((hi << n) | (lo >>> (32 - n))) >>> 0;
    const l = ((lo << n) | (hi >>> (32 - n))) >>> 0;
    hi = h;
    lo = l;
  }
  v[a] = hi;
  v[a + 1] = lo;
}

function xor(a: number, b: number): void {
  v[a] = (v[a]! ^ v[b]!) >>> 0;
  v[a + 1] = (v[a + 1]! ^ v[b + 1]!) >>> 0;
}

const V0 = 0, V1 = 2, V2 = 4, V3 = 6;

function round(): void {
  add(V0, V1); rotl(V1, 13); xor(V1, V0); rotl(V0, 32);
  add(V2, V3); rotl(V3, 16); xor(V3, V2);
  add(V0, V3); rotl(V3, 21); xor(V3, V0);
  add(V2, V1); rotl(V1, 17); xor(V1, V2); rotl(V2, 32);
}

function le32(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}

function absorb(hi: number, lo: number): void {
  v[V3] = (v[V3]! ^ hi) >>> 0;
  v[V3 + 1] = (v[V3 + 1]! ^ lo) >>> 0;
  round();
  round();
  v[V0] = (v[V0]! ^ hi) >>> 0;
  v[V0 + 1] = (v[V0 + 1]! ^ lo) >>> 0;
}

/** SipHash-2-4 of `msg[0..len)` under the 16-byte `key`; 8 bytes written to `out[at..]`. */
export function siphash24(key: Uint8Array, msg: Uint8Array, len: number, out: Uint8Array, at = 0): void {
  const k0lo = le32(key, 0), k0hi = le32(key, 4), k1lo = le32(key, 8), k1hi = le32(key, 12);
  v[V0] = (k0hi ^ 0x736f6d65) >>> 0; v[V0 + 1] = (k0lo ^ 0x70736575) >>> 0;
  v[V1] = (k1hi ^ 0x646f7261) >>> 0; v[V1 + 1] = (k1lo ^ 0x6e646f6d) >>> 0;
  v[V2] = (k0hi ^ 0x6c796765) >>> 0; v[V2 + 1] = (k0lo ^ 0x6e657261) >>> 0;
  v[V3] = (k1hi ^ 0x74656462) >>> 0; v[V3 + 1] = (k1lo ^ 0x79746573) >>> 0;
  const whole = len - (len & 7);
  for (let p = 0; p < whole; p += 8) absorb(le32(msg, p + 4), le32(msg, p));
  // Last block: the remaining bytes, little-endian, with the length in the top byte.
  let lo = 0;
  let hi = (len & 0xff) << 24;
  for (let i = 0; i < (len & 7); i++) {
    const b = msg[whole + i]!;
    if (i < 4) lo |= b << (8 * i);
    else hi |= b << (8 * (i - 4));
  }
  absorb(hi >>> 0, lo >>> 0);
  v[V2 + 1] = (v[V2 + 1]! ^ 0xff) >>> 0;
  round(); round(); round(); round();
  const rhi = (v[V0]! ^ v[V1]! ^ v[V2]! ^ v[V3]!) >>> 0;
  const rlo = (v[V0 + 1]! ^ v[V1 + 1]! ^ v[V2 + 1]! ^ v[V3 + 1]!) >>> 0;
  for (let i = 0; i < 4; i++) out[at + i] = (rlo >>> (8 * i)) & 0xff;
  for (let i = 0; i < 4; i++) out[at + 4 + i] = (rhi >>> (8 * i)) & 0xff;
}
