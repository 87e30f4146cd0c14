/**
 * Name hashing shared by the list compiler (off the event loop) and the per-query check. A name
 * is hashed in its lower-cased wire form read from the right (root byte first, then each label's
 * bytes backwards, then its length byte), so the query path can grow the hash one label at a
 * time while walking the question's QNAME towards its start and probe the set at every label
 * boundary, without building strings.
 *
 * Two independent 32-bit lanes (FNV-1a and a second multiplier), each finished with murmur3's
 * fmix32, give a 52-bit key stored exactly in a double: 32 bits of lane 1, then the top 20 bits
 * of lane 2. With 1,000,000 listed names the chance that an unlisted name's suffix collides
 * with one is about 2e-10 per probe; `blocking test` re-scans the sources and reports exact
 * matches.
 */

export const SEED1 = 0x811c9dc5;
export const SEED2 = 0x3b9aca07;
const PRIME1 = 0x01000193;
const PRIME2 = 0x5bd1e995;
/** 2^20: lane 2 contributes 20 bits below lane 1's 32. */
const LOW = 1048576;

export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function step1(h: number, byte: number): number {
  return Math.imul(h ^ byte, PRIME1);
}

export function step2(h: number, byte: number): number {
  return Math.imul(h ^ byte, PRIME2);
}

/** The 52-bit key of finished lanes (f1 = fmix32(h1), f2 = fmix32(h2)). */
export function keyOf(f1: number, f2: number): number {
  return f1 * LOW + (f2 >>> 12);
}

export function lowerByte(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

/**
 * Key of a presentation-format name held in bytes `buf[from..to)` (no trailing dot, labels
 * already checked), hashed as its lower-cased wire form would be.
 */
export function keyOfText(buf: Uint8Array, from: number, to: number): number {
  let h1 = step1(SEED1, 0);
  let h2 = step2(SEED2, 0);
  let len = 0;
  for (let i = to - 1; i >= from - 1; i--) {
    if (i < from || buf[i] === 0x2e) {
      h1 = step1(h1, len);
      h2 = step2(h2, len);
      len = 0;
      continue;
    }
    const c = lowerByte(buf[i]!);
    h1 = step1(h1, c);
    h2 = step2(h2, c);
    len++;
  }
  return keyOf(fmix32(h1), fmix32(h2));
}

/** Key of a presentation-format name given as a string (cold paths and tests). */
export function keyOfName(name: string): number {
  const text = name.endsWith('.') ? name.slice(0, -1) : name;
  const b = Buffer.from(text, 'latin1');
  return keyOfText(b, 0, b.length);
}
