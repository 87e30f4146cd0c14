import type { QueryView } from '../../wire/query-view.js';

/**
 * Builds one client's response from a packed answer (style §2.6 item 4): one allocation, a copy,
 * then in place: the client's ID, the question bytes from the query (so the client sees its own
 * letter case), RD from the query, RA set, AD only when the client asked for it (DO or AD,
 * RFC 6840 §5.8), and every TTL counted down by `age` seconds, or set to `fixedTtl` when it is
 * >= 0 (stale answers). The question in `wire` has the same length as the query's, since the
 * cache key holds the QNAME bytes.
 */
export function patchAnswer(wire: Buffer, ttlOffsets: Uint16Array, q: QueryView, age: number, fixedTtl: number): Buffer {
  const msg = q.buf;
  const out = Buffer.allocUnsafe(wire.length);
  wire.copy(out, 0);
  out[0] = msg[0]!;
  out[1] = msg[1]!;
  msg.copy(out, 12, 12, q.questionEnd);
  out[2] = (out[2]! & 0xfe) | (msg[2]! & 0x01);
  let f = out[3]! | 0x80;
  if (!q.ednsDo && (msg[3]! & 0x20) === 0) f &= 0xdf;
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
