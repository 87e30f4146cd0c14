import { DEFAULT_EDNS_UDP_SIZE, Flag, HEADER_SIZE, RRType } from '../../wire/constants.js';
import { nameToWire } from '../../wire/name.js';
import type { UpstreamQuestion } from './types.js';

/**
 * Upstream query bytes. A query is kept *framed*: a 2-byte length prefix (RFC 1035 §4.2.2) and
 * then the message, so TCP/TLS write it as is and UDP/DoH send `[FRAME, end)`.
 */
export const FRAME = 2;
const OPT_SIZE = 11;

/** Framed query with ID 0: RD, CD as asked, one question, OPT (UDP size 1232, DO as asked). */
export function buildQuery(q: UpstreamQuestion): Buffer {
  const name = nameToWire(q.qname);
  const len = HEADER_SIZE + name.length + 4 + OPT_SIZE;
  const b = Buffer.alloc(FRAME + len);
  b.writeUInt16BE(len, 0);
  const m = FRAME;
  b.writeUInt16BE(Flag.RD | (q.cd ? Flag.CD : 0), m + 2);
  b.writeUInt16BE(1, m + 4); // QDCOUNT
  b.writeUInt16BE(1, m + 10); // ARCOUNT: the OPT record
  b.set(name, m + HEADER_SIZE);
  let p = m + HEADER_SIZE + name.length;
  b.writeUInt16BE(q.qtype, p);
  b.writeUInt16BE(q.qclass, p + 2);
  p += 4;
  b[p] = 0; // OPT owner: root
  b.writeUInt16BE(RRType.OPT, p + 1);
  b.writeUInt16BE(DEFAULT_EDNS_UDP_SIZE, p + 3);
  // TTL: extended RCODE 0, version 0, DO in the top bit of the flags; RDLENGTH 0
  b.writeUInt16BE(q.do ? 0x8000 : 0, p + 7);
  return b;
}

/** End of the question section in the message (offset from the message start, not the frame). */
export function questionEnd(framed: Buffer): number {
  return framed.length - FRAME - OPT_SIZE;
}

/** A copy of the framed template; the transport writes the ID into it. */
export function copyQuery(template: Buffer): Buffer {
  const b = Buffer.allocUnsafe(template.length);
  template.copy(b);
  return b;
}

/** Why an answer was not accepted; Match.Ok when it was. */
export const Match = { Ok: 0, Short: 1, Id: 2, NotResponse: 3, Question: 4 } as const;
export type Match = (typeof Match)[keyof typeof Match];
export const matchNames = ['ok', 'short message', 'wrong ID', 'not a response', 'wrong question'] as const;

/**
 * RFC 5452 §9.1 checks of an answer against the framed query: same ID, QR set, opcode QUERY,
 * exactly one question with the same name (ASCII case-insensitive), type and class.
 * (Source address and port are the transport's to check.)
 */
export function matchAnswer(ans: Buffer, query: Buffer, qEnd: number): Match {
  if (ans.length < qEnd) return Match.Short;
  if (ans[0] !== query[FRAME] || ans[1] !== query[FRAME + 1]) return Match.Id;
  if ((ans[2]! & 0xf8) !== 0x80) return Match.NotResponse; // QR=1, opcode 0
  if (ans[4] !== 0 || ans[5] !== 1) return Match.Question;
  const nameEnd = qEnd - 4;
  for (let i = HEADER_SIZE; i < nameEnd; i++) {
    let a = ans[i]!;
    let b = query[FRAME + i]!;
    if (a !== b) {
      if (a >= 0x41 && a <= 0x5a) a |= 0x20;
      if (b >= 0x41 && b <= 0x5a) b |= 0x20;
      if (a !== b) return Match.Question;
    }
  }
  for (let i = nameEnd; i < qEnd; i++) if (ans[i] !== query[FRAME + i]) return Match.Question;
  return Match.Ok;
}

/** Header RCODE (low 4 bits). */
export function rcodeOf(wire: Buffer): number {
  return wire[3]! & 0xf;
}

/** True when the header has TC set. */
export function isTruncated(wire: Buffer): boolean {
  return (wire[2]! & 0x02) !== 0;
}
