import type { QueryView } from '../../wire/query-view.js';
import { stampResponse } from '../../wire/stamp.js';

/**
 * Builds one client's response from a packed answer (style §2.6 item 4): `stampResponse` (one
 * copy with the client's ID, question bytes and RD/CD), then in place: RA set, AD only when the
 * client asked for it (DO or AD, RFC 6840 §5.8), and every TTL counted down by `age` seconds, or
 * set to `fixedTtl` when it is >= 0 (stale answers). The question in `wire` has the same length as the query's, since the
 * cache key holds the QNAME bytes.
 */
export function patchAnswer(wire: Buffer, ttlOffsets: Uint16Array, q: QueryView, age: number, fixedTtl: number): Buffer {
  const out = stampResponse(wire, q);
  let f = out[3]! | 0x80;
  if (!q.ednsDo && (q.buf[3]! & 0x20) === 0) f &= 0xdf;
  out[3] = f;
  if (fixedTtl >= 0) {
    for (let i = 0; i < ttlOffsets.length; i++) out.writeUInt32BE(fixedTtl, ttlOffsets[i]!);
  } else if (age > 0) {
    for (let i = 0; i < ttlOffsets.length; i++) {
      const at = ttlOffsets[i]!;
      const ttl = out.readUInt32BE(at) - age;
      out.writeUInt32BE(ttl > 0 ? ttl : 0, at);
    }
  }
  return out;
}
