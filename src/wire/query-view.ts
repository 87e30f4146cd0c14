import { EdnsOption, HEADER_SIZE, RRType } from './constants.js';
import { checkEdnsOptions } from './edns-check.js';

/**
 * Hot-path reader: everything needed to route and answer a query, read straight from the raw
 * bytes without building records. One instance is reused for every packet on the synchronous
 * path (`parse()` overwrites it); copy what you need before going async.
 *
 * It understands exactly one question and an OPT record in the additional section; other
 * additional records (e.g. TSIG) are skipped over and flagged.
 */
export class QueryView {
  buf: Buffer = Buffer.alloc(0);
  id = 0;
  flags = 0;
  opcode = 0;
  qdcount = 0;
  ancount = 0;
  nscount = 0;
  arcount = 0;
  /** Offset of the question's QNAME (always 12). */
  qnameStart = HEADER_SIZE;
  /** Offset just after QNAME (QTYPE starts here). */
  qnameEnd = HEADER_SIZE;
  qtype = 0;
  qclass = 0;
  /** Offset just after the question. */
  questionEnd = HEADER_SIZE;
  hasEdns = false;
  ednsUdpSize = 0;
  ednsVersion = 0;
  ednsDo = false;
  /** Offset of the OPT RR's RDATA, and its length (for option scans such as ECS). */
  ednsRdataStart = 0;
  ednsRdataLen = 0;
  /** Offset where the OPT RR starts (so a copy of the query without OPT is buf[0..optStart)). */
  optStart = 0;
  /** True when an additional record other than OPT is present (TSIG, ...): slow path. */
  hasOtherAdditional = false;
  /** Offset of the last additional record other than OPT (e.g. TSIG); -1 when none. */
  lastOtherStart = -1;
  /** Error text when parse() returned false after the header was read. */
  error = '';

  /**
   * Reads header, question and OPT. Returns false when the message is malformed; `error` says
   * why. Callers must check `buf.length >= 12` first to know whether a FORMERR can be built.
   */
  parse(buf: Buffer): boolean {
    this.buf = buf;
    this.#key = null;
    this.error = '';
    this.hasEdns = false;
    this.ednsDo = false;
    this.ednsUdpSize = 0;
    this.ednsVersion = 0;
    this.hasOtherAdditional = false;
    this.lastOtherStart = -1;
    this.qtype = 0;
    this.qclass = 0;
    const len = buf.length;
    if (len < HEADER_SIZE) return this.fail('short header');
    this.id = (buf[0]! << 8) | buf[1]!;
    this.flags = (buf[2]! << 8) | buf[3]!;
    this.opcode = (this.flags >> 11) & 0xf;
    this.qdcount = (buf[4]! << 8) | buf[5]!;
    this.ancount = (buf[6]! << 8) | buf[7]!;
    this.nscount = (buf[8]! << 8) | buf[9]!;
    this.arcount = (buf[10]! << 8) | buf[11]!;
    this.qnameStart = HEADER_SIZE;
    this.qnameEnd = HEADER_SIZE;
    this.questionEnd = HEADER_SIZE;
    this.optStart = len;
    if (this.qdcount !== 1) return this.qdcount === 0 ? this.fail('no question') : this.fail('more than one question');
    // QNAME: queries must not use compression in the question (nothing precedes it).
    let p = HEADER_SIZE;
    let total = 1;
    for (;;) {
      if (p >= len) return this.fail('question name runs past the end');
      const l = buf[p]!;
      if (l === 0) { p++; break; }
      if (l > 63) return this.fail('bad label in question name');
      total += l + 1;
      if (total > 255) return this.fail('question name longer than 255 bytes');
      p += l + 1;
    }
    if (p + 4 > len) return this.fail('truncated question');
    this.qnameEnd = p;
    this.qtype = (buf[p]! << 8) | buf[p + 1]!;
    this.qclass = (buf[p + 2]! << 8) | buf[p + 3]!;
    p += 4;
    this.questionEnd = p;
    const skip = this.ancount + this.nscount;
    for (let i = 0; i < skip; i++) {
      p = skipRR(buf, p, len);
      if (p < 0) return this.fail('malformed record');
    }
    for (let i = 0; i < this.arcount; i++) {
      const start = p;
      const np = skipName(buf, p, len);
      if (np < 0 || np + 10 > len) return this.fail('malformed additional record');
      const type = (buf[np]! << 8) | buf[np + 1]!;
      const rdlen = (buf[np + 8]! << 8) | buf[np + 9]!;
      const end = np + 10 + rdlen;
      if (end > len) return this.fail('additional record runs past the end');
      if (type === RRType.OPT) {
        if (this.hasEdns) return this.fail('more than one OPT record');
        if (buf[start] !== 0) return this.fail('OPT owner is not the root');
        this.hasEdns = true;
        this.optStart = start;
        this.ednsUdpSize = (buf[np + 2]! << 8) | buf[np + 3]!;
        this.ednsVersion = buf[np + 5]!;
        this.ednsDo = (buf[np + 6]! & 0x80) !== 0;
        this.ednsRdataStart = np + 10;
        this.ednsRdataLen = rdlen;
        if (rdlen > 0) {
          // Malformed options are FORMERR (as BIND answers); hasEdns stays set so it carries OPT.
          const why = checkEdnsOptions(buf, np + 10, rdlen, (this.flags & 0x8000) === 0);
          if (why !== '') return this.fail(why);
        }
      } else {
        this.hasOtherAdditional = true;
        this.lastOtherStart = start;
      }
      p = end;
    }
    if (p !== len) return this.fail('trailing bytes after the last record');
    return true;
  }

  private fail(why: string): boolean {
    this.error = why;
    return false;
  }

  get qr(): boolean { return (this.flags & 0x8000) !== 0; }
  get rd(): boolean { return (this.flags & 0x0100) !== 0; }
  get cd(): boolean { return (this.flags & 0x0010) !== 0; }

  /**
   * Cache/lookup key: lower-cased QNAME wire bytes as latin1 + type + class (+ DO/CD bits).
   * One string per call; no name decoding.
   */
  key(): string {
    if (this.#key !== null) return this.#key;
    const b = this.buf;
    const k = KEY_SCRATCH;
    let n = 0;
    for (let i = this.qnameStart; i < this.qnameEnd; i++) {
      const c = b[i]!;
      k[n++] = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
    }
    k[n++] = this.qtype >> 8;
    k[n++] = this.qtype & 0xff;
    k[n++] = this.qclass >> 8;
    k[n++] = this.qclass & 0xff;
    k[n++] = (this.ednsDo ? 1 : 0) | (this.cd ? 2 : 0);
    this.#key = k.toString('latin1', 0, n);
    return this.#key;
  }

  /** key() of the current packet, computed at most once per parse (several stages ask). */
  #key: string | null = null;

  /** Finds an EDNS option; returns the offset of its data and sets `optionLen`, or -1. */
  findOption(code: number): number {
    if (!this.hasEdns) return -1;
    const b = this.buf;
    let p = this.ednsRdataStart;
    const end = p + this.ednsRdataLen;
    while (p + 4 <= end) {
      const c = (b[p]! << 8) | b[p + 1]!;
      const l = (b[p + 2]! << 8) | b[p + 3]!;
      if (p + 4 + l > end) return -1;
      if (c === code) {
        this.optionLen = l;
        return p + 4;
      }
      p += 4 + l;
    }
    return -1;
  }
  optionLen = 0;

  /** Offset of the ECS option data (family, source, scope, address) or -1. */
  clientSubnet(): number {
    return this.findOption(EdnsOption.ClientSubnet);
  }
}

/** Scratch for key(): QNAME (<= 255) + type, class, flags. */
const KEY_SCRATCH = Buffer.allocUnsafe(262);

/** Skips a possibly compressed name; returns the offset after it or -1. */
export function skipName(buf: Uint8Array, p: number, len: number): number {
  for (let guard = 0; guard < 128; guard++) {
    if (p >= len) return -1;
    const l = buf[p]!;
    if (l === 0) return p + 1;
    if ((l & 0xc0) === 0xc0) return p + 2 <= len ? p + 2 : -1;
    if (l > 63) return -1;
    p += l + 1;
  }
  return -1;
}

/** Skips one resource record; returns the offset after it or -1. */
export function skipRR(buf: Uint8Array, p: number, len: number): number {
  p = skipName(buf, p, len);
  if (p < 0 || p + 10 > len) return -1;
  const rdlen = (buf[p + 8]! << 8) | buf[p + 9]!;
  p += 10 + rdlen;
  return p <= len ? p : -1;
}
