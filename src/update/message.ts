import { HEADER_SIZE, RRType } from '../wire/constants.js';
import { WireError } from '../wire/errors.js';
import { readName } from '../wire/name.js';
import { readRdata } from '../wire/rdata/index.js';

/**
 * RFC 2136 UPDATE messages. The sections are renamed (§2): the question section is the zone
 * section, answer holds prerequisites, authority holds updates. Class ANY and NONE records
 * usually carry empty RDATA, which a type's layout would reject, so this reader decodes RDATA
 * only when there is some (names inside it are expanded from compression pointers as usual).
 */

/** One prerequisite or update record; `rdata` is empty when RDLENGTH is 0. */
export interface UpdateRR {
  /** Presentation FQDN, original case. */
  readonly name: string;
  readonly type: number;
  readonly class: number;
  readonly ttl: number;
  readonly rdata: Uint8Array;
}

export interface UpdateMessage {
  readonly id: number;
  /** ZNAME, ZTYPE, ZCLASS (ZOCOUNT is checked to be 1). */
  readonly zone: { readonly name: string; readonly type: number; readonly class: number };
  readonly prereqs: readonly UpdateRR[];
  readonly updates: readonly UpdateRR[];
}

const EMPTY = new Uint8Array(0);

/**
 * Reads an UPDATE message that no longer carries its TSIG record (see tsig/reply.ts stripTsig).
 * Throws WireError for anything malformed: that is FORMERR (RFC 2136 §3.1.1, §3.8).
 */
export function parseUpdate(buf: Buffer): UpdateMessage {
  if (buf.length < HEADER_SIZE) throw new WireError('message shorter than its header', 0);
  const zocount = buf.readUInt16BE(4);
  const prcount = buf.readUInt16BE(6);
  const upcount = buf.readUInt16BE(8);
  const adcount = buf.readUInt16BE(10);
  if (zocount !== 1) throw new WireError(`zone section has ${zocount} records, exactly one is required`, 4);
  const z = readName(buf, HEADER_SIZE);
  let p = z.next;
  if (p + 4 > buf.length) throw new WireError('truncated zone section', p);
  const zone = { name: z.name, type: buf.readUInt16BE(p), class: buf.readUInt16BE(p + 2) };
  const r = { p: p + 4 };
  const prereqs: UpdateRR[] = [];
  const updates: UpdateRR[] = [];
  for (let i = 0; i < prcount; i++) prereqs.push(readRR(buf, r));
  for (let i = 0; i < upcount; i++) updates.push(readRR(buf, r));
  for (let i = 0; i < adcount; i++) {
    const rr = readRR(buf, r);
    if (rr.type === RRType.TSIG) throw new WireError('TSIG record left in the message', r.p);
  }
  p = r.p;
  if (p !== buf.length) throw new WireError('trailing bytes after the last record', p);
  return { id: buf.readUInt16BE(0), zone, prereqs, updates };
}

function readRR(buf: Buffer, r: { p: number }): UpdateRR {
  const n = readName(buf, r.p);
  const p = n.next;
  if (p + 10 > buf.length) throw new WireError('truncated record header', p);
  const type = buf.readUInt16BE(p);
  const cls = buf.readUInt16BE(p + 2);
  const ttl = buf.readUInt32BE(p + 4);
  const rdlen = buf.readUInt16BE(p + 8);
  const start = p + 10;
  if (start + rdlen > buf.length) throw new WireError('record data runs past the end', start);
  const rdata = rdlen === 0 ? EMPTY : type === RRType.OPT ? buf.subarray(start, start + rdlen) : readRdata(type, buf, start, rdlen);
  r.p = start + rdlen;
  return { name: n.name, type, class: cls, ttl, rdata };
}
