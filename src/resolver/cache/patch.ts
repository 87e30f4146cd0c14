import type { QueryView } from '../../wire/query-view.js';
import { stampResponse } from '../../wire/stamp.js';
import type { CacheEntry } from './entry.js';
import type { PackedAnswer } from './pack.js';

/**
 * Builds one client's response from a packed answer block (`pack.ts` layout: `nTtl` TTL offsets,
 * then the wire) at `src[at, at + blockLen)`: `stampResponse` (one copy with
 * the client's ID, question bytes and RD/CD), then in place: RA set, AD only when the client
 * asked for it (DO or AD, RFC 6840 §5.8), and every TTL counted down by `age` seconds, or set to
 * `fixedTtl` when it is >= 0 (stale answers). The question in the wire has the same length as
 * the query's, since the cache key holds the QNAME bytes.
 */
export function patchAnswer(src: Buffer, at: number, nTtl: number, blockLen: number, q: QueryView, age: number, fixedTtl: number): Buffer {
  const out = stampResponse(src, q, at + 2 * nTtl, at + blockLen);
  let f = out[3]! | 0x80;
  if (!q.ednsDo && (q.buf[3]! & 0x20) === 0) f &= 0xdf;
  out[3] = f;
  if (fixedTtl >= 0) {
    for (let i = 0; i < nTtl; i++) out.writeUInt32BE(fixedTtl, src[at + 2 * i]! | (src[at + 2 * i + 1]! << 8));
  } else if (age > 0) {
    for (let i = 0; i < nTtl; i++) {
      const off = src[at + 2 * i]! | (src[at + 2 * i + 1]! << 8);
      const ttl = out.readUInt32BE(off) - age;
      out.writeUInt32BE(ttl > 0 ? ttl : 0, off);
    }
  }
  return out;
}

/** patchAnswer for a cache entry's block. */
export function patchEntry(e: CacheEntry, q: QueryView, age: number, fixedTtl: number): Buffer {
  return patchAnswer(e.slab!.buf, e.at, e.nTtl, e.blockLen, q, age, fixedTtl);
}

/** patchAnswer for a block just packed (the clients that waited for the upstream answer). */
export function patchPacked(p: PackedAnswer, q: QueryView, age: number, fixedTtl: number): Buffer {
  return patchAnswer(p.block, 0, p.nTtl, p.block.length, q, age, fixedTtl);
}
