import type { QueryView } from './query-view.js';

/**
 * Makes one client's copy of a prepared response (cached or pre-encoded; `wire[start, end)` when
 * it lives inside a larger buffer): one allocation and a
 * copy, then the client's ID, its question bytes (so it sees its own letter case; the prepared
 * question has the same length because keys hold the exact QNAME bytes), and RD and CD from its
 * query. Everything else in the header is the prepared one's.
 */
export function stampResponse(wire: Buffer, q: QueryView, start = 0, end = wire.length): Buffer {
  const msg = q.buf;
  const out = Buffer.allocUnsafe(end - start);
  wire.copy(out, 0, start, end);
  out[0] = msg[0]!;
  out[1] = msg[1]!;
  msg.copy(out, 12, 12, q.questionEnd);
  out[2] = (out[2]! & 0xfe) | (msg[2]! & 0x01);
  out[3] = (out[3]! & 0xef) | (msg[3]! & 0x10);
  return out;
}
