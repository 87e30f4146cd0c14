import { HEADER_SIZE, RRType } from './constants.js';
import { WireError } from './errors.js';
import { readName } from './name.js';
import { readRdata, writeRdata } from './rdata/index.js';
import type { Edns, Message, Question, RR } from './types.js';
import { Writer } from './writer.js';

/**
 * Full decode and encode of DNS messages (cold path: zones, updates, upstream answers that must
 * be inspected, tests). `decodeMessage` follows compression pointers everywhere; `encodeMessage`
 * compresses names and truncates to a size limit at RRset boundaries, setting TC.
 */

export function decodeMessage(buf: Uint8Array): Message {
  if (buf.length < HEADER_SIZE) throw new WireError('message shorter than its header', 0);
  const flags = (buf[2]! << 8) | buf[3]!;
  const qd = (buf[4]! << 8) | buf[5]!;
  const an = (buf[6]! << 8) | buf[7]!;
  const ns = (buf[8]! << 8) | buf[9]!;
  const ar = (buf[10]! << 8) | buf[11]!;
  const msg: Message = {
    id: (buf[0]! << 8) | buf[1]!,
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    z: (flags & 0x0040) !== 0,
    ad: (flags & 0x0020) !== 0,
    cd: (flags & 0x0010) !== 0,
    rcode: flags & 0xf,
    question: [],
    answer: [],
    authority: [],
    additional: [],
    edns: null,
  };
  let p = HEADER_SIZE;
  for (let i = 0; i < qd; i++) {
    const n = readName(buf, p);
    p = n.next;
    if (p + 4 > buf.length) throw new WireError('truncated question', p);
    msg.question.push({ name: n.name, type: (buf[p]! << 8) | buf[p + 1]!, class: (buf[p + 2]! << 8) | buf[p + 3]! });
    p += 4;
  }
  const r = { p };
  for (let i = 0; i < an; i++) msg.answer.push(readRR(buf, r));
  for (let i = 0; i < ns; i++) msg.authority.push(readRR(buf, r));
  for (let i = 0; i < ar; i++) {
    const start = r.p;
    const rr = readRR(buf, r);
    if (rr.type === RRType.OPT) {
      if (msg.edns) throw new WireError('more than one OPT record', start);
      if (rr.name !== '.') throw new WireError('OPT owner is not the root', start);
      msg.edns = ednsFromRR(rr);
      msg.rcode |= msg.edns.extRcode << 4;
    } else {
      if (rr.type === RRType.TSIG && i !== ar - 1) throw new WireError('TSIG is not the last record', start);
      msg.additional.push(rr);
    }
  }
  if (r.p !== buf.length) throw new WireError('trailing bytes after the last record', r.p);
  return msg;
}

function readRR(buf: Uint8Array, r: { p: number }): RR {
  const n = readName(buf, r.p);
  let p = n.next;
  if (p + 10 > buf.length) throw new WireError('truncated record header', p);
  const type = (buf[p]! << 8) | buf[p + 1]!;
  const klass = (buf[p + 2]! << 8) | buf[p + 3]!;
  const ttl = ((buf[p + 4]! << 24) | (buf[p + 5]! << 16) | (buf[p + 6]! << 8) | buf[p + 7]!) >>> 0;
  const rdlen = (buf[p + 8]! << 8) | buf[p + 9]!;
  p += 10;
  if (p + rdlen > buf.length) throw new WireError('record data runs past the end', p);
  const rdata = type === RRType.OPT ? buf.slice(p, p + rdlen) : readRdata(type, buf, p, rdlen);
  r.p = p + rdlen;
  return { name: n.name, type, class: klass, ttl, rdata };
}

function ednsFromRR(rr: RR): Edns {
  const options = [];
  const d = rr.rdata;
  let p = 0;
  while (p < d.length) {
    if (p + 4 > d.length) throw new WireError('truncated EDNS option');
    const code = (d[p]! << 8) | d[p + 1]!;
    const len = (d[p + 2]! << 8) | d[p + 3]!;
    if (p + 4 + len > d.length) throw new WireError('EDNS option runs past the end');
    options.push({ code, data: d.slice(p + 4, p + 4 + len) });
    p += 4 + len;
  }
  return {
    udpSize: rr.class,
    extRcode: rr.ttl >>> 24,
    version: (rr.ttl >>> 16) & 0xff,
    do: (rr.ttl & 0x8000) !== 0,
    options,
  };
}

export interface EncodeOptions {
  /** Size limit (UDP payload size); records that do not fit are left out and TC set. */
  maxSize?: number;
  /** Bytes to keep free at the end (e.g. for a TSIG record appended later). */
  reserve?: number;
  /** Compress names (default true). */
  compress?: boolean;
}

const shared = new Writer(4096);

/** Encodes a message. Returns a fresh Buffer. */
export function encodeMessage(msg: Message, opts: EncodeOptions = {}): Buffer {
  const w = shared;
  w.reset();
  const compress = opts.compress ?? true;
  const optLen = msg.edns ? 11 + ednsOptionsLength(msg.edns) : 0;
  const limit = (opts.maxSize ?? 65535) - optLen - (opts.reserve ?? 0);
  let tc = msg.tc;
  w.ensure(HEADER_SIZE);
  w.offset = HEADER_SIZE;
  for (const q of msg.question) writeQuestion(w, q, compress);
  if (w.offset > limit) throw new WireError('question does not fit the size limit');
  const counts = [0, 0, 0];
  const sections = [msg.answer, msg.authority, msg.additional];
  let stop = false;
  for (let s = 0; s < 3 && !stop; s++) {
    const rrs = sections[s]!;
    let setStart = w.offset;
    let setCount = 0;
    for (let i = 0; i < rrs.length; i++) {
      const rr = rrs[i]!;
      const prev = rrs[i - 1];
      if (!prev || prev.type !== rr.type || prev.name !== rr.name) {
        setStart = w.offset;
        setCount = counts[s]!;
      }
      const before = w.offset;
      writeRR(w, rr, compress);
      if (w.offset > limit) {
        if (s === 2) {
          w.offset = before; // additional data is optional: leave it out without TC
        } else {
          w.offset = setStart; // never send part of an RRset
          counts[s] = setCount;
          tc = true;
        }
        stop = true;
        break;
      }
      counts[s]!++;
    }
  }
  let arcount = counts[2]!;
  if (msg.edns) {
    writeOpt(w, msg.edns, msg.rcode);
    arcount++;
  }
  const b = w.buf;
  b.writeUInt16BE(msg.id & 0xffff, 0);
  let flags = (msg.opcode & 0xf) << 11 | (msg.rcode & 0xf);
  if (msg.qr) flags |= 0x8000;
  if (msg.aa) flags |= 0x0400;
  if (tc) flags |= 0x0200;
  if (msg.rd) flags |= 0x0100;
  if (msg.ra) flags |= 0x0080;
  if (msg.z) flags |= 0x0040;
  if (msg.ad) flags |= 0x0020;
  if (msg.cd) flags |= 0x0010;
  b.writeUInt16BE(flags, 2);
  b.writeUInt16BE(msg.question.length, 4);
  b.writeUInt16BE(counts[0]!, 6);
  b.writeUInt16BE(counts[1]!, 8);
  b.writeUInt16BE(arcount, 10);
  return Buffer.from(w.view());
}

export function writeQuestion(w: Writer, q: Question, compress = true): void {
  w.name(q.name, compress);
  w.u16(q.type);
  w.u16(q.class);
}

export function writeRR(w: Writer, rr: RR, compress = true): void {
  w.name(rr.name, compress);
  w.u16(rr.type);
  w.u16(rr.class);
  w.u32(rr.ttl);
  if (compress) {
    writeRdata(w, rr.type, rr.rdata);
  } else {
    w.u16(rr.rdata.length);
    w.bytes(rr.rdata);
  }
}

function ednsOptionsLength(e: Edns): number {
  let n = 0;
  for (const o of e.options) n += 4 + o.data.length;
  return n;
}

function writeOpt(w: Writer, e: Edns, rcode: number): void {
  w.u8(0);
  w.u16(RRType.OPT);
  w.u16(e.udpSize);
  w.u8(rcode >> 4);
  w.u8(e.version);
  w.u16(e.do ? 0x8000 : 0);
  w.u16(ednsOptionsLength(e));
  for (const o of e.options) {
    w.u16(o.code);
    w.u16(o.data.length);
    w.bytes(o.data);
  }
}
