import { RRType } from '../wire/constants.js';
import { nameToWire } from '../wire/name.js';

/**
 * The blocked answer, written from the query's own bytes (header and question copied, the
 * records pre-encoded once per mode and TTL):
 * - `zero` (default): 0.0.0.0 for A, :: for AAAA, NODATA for every other type;
 * - `nodata`: NOERROR with no records; `nxdomain`: NXDOMAIN;
 * - negative answers carry a synthetic SOA for the question name with the blocked TTL as its
 *   MINIMUM, so a downstream cache keeps them exactly as long as the positive ones (RFC 2308);
 * - `refused` is written by the stage (an error reply with the same EDE).
 * RA is set (only clients allowed to recurse get here); AA is not (this is not zone data).
 */

export type BlockedAnswerMode = 'zero' | 'nxdomain' | 'nodata' | 'refused';

const MNAME = nameToWire('localhost.');
const RNAME = nameToWire('nobody.invalid.');

export class BlockedAnswers {
  readonly mode: BlockedAnswerMode;
  readonly ttl: number;
  readonly #a: Buffer;
  readonly #aaaa: Buffer;
  readonly #soa: Buffer;

  constructor(mode: BlockedAnswerMode, ttl: number) {
    this.mode = mode;
    this.ttl = ttl;
    this.#a = record(RRType.A, ttl, Buffer.alloc(4));
    this.#aaaa = record(RRType.AAAA, ttl, Buffer.alloc(16));
    const rdata = Buffer.alloc(MNAME.length + RNAME.length + 20);
    rdata.set(MNAME, 0);
    rdata.set(RNAME, MNAME.length);
    let p = MNAME.length + RNAME.length;
    for (const v of [1, 3600, 600, 86400, ttl]) { rdata.writeUInt32BE(v, p); p += 4; }
    this.#soa = record(RRType.SOA, ttl, rdata);
  }

  /**
   * The answer to the query in `buf` (question ends at `questionEnd`, QTYPE `qtype`); the
   * question name is at offset 12 (the owner of every record is a pointer to it).
   */
  build(buf: Buffer, questionEnd: number, qtype: number): Buffer {
    let rr: Buffer | null = null;
    if (this.mode === 'zero') rr = qtype === RRType.A ? this.#a : qtype === RRType.AAAA ? this.#aaaa : null;
    const extra = rr ?? this.#soa;
    const out = Buffer.allocUnsafe(questionEnd + extra.length);
    buf.copy(out, 0, 0, questionEnd);
    out[2] = 0x80 | (buf[2]! & 0x79); // QR; opcode and RD echoed; AA, TC cleared
    out[3] = 0x80 | (this.mode === 'nxdomain' ? 3 : 0); // RA, RCODE
    out.writeUInt16BE(1, 4);
    out.writeUInt16BE(rr !== null ? 1 : 0, 6);
    out.writeUInt16BE(rr !== null ? 0 : 1, 8);
    out.writeUInt16BE(0, 10);
    extra.copy(out, questionEnd);
    return out;
  }
}

/** One record owned by the question name (compression pointer to offset 12). */
function record(type: number, ttl: number, rdata: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + rdata.length);
  out.writeUInt16BE(0xc00c, 0);
  out.writeUInt16BE(type, 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt32BE(ttl, 6);
  out.writeUInt16BE(rdata.length, 10);
  out.set(rdata, 12);
  return out;
}
