import { answerSourceNames, transportNames } from '../pipeline/context.js';
import { RRType } from '../wire/constants.js';
import { readName } from '../wire/name.js';

/**
 * The query-log record, in two forms:
 *
 * - On the answer path, `BatchWriter.append` writes one row of fixed fields, four short strings
 *   and the head of the response wire into a preallocated buffer: no object, closure or promise
 *   per answer, and no name decoding. A full buffer (or the flush timer) seals it into a `Batch`
 *   that every sink gets.
 * - Off the answer path (a sink, in its worker or at write time), `decodeBatch` turns rows into
 *   `QueryRecord`s: the question name and the answer's addresses are read from the response wire
 *   then, so they are what the client got (after split-horizon translation).
 *
 * Row layout (little-endian):
 *   u16 row length | f64 time (ms since the epoch) | u32 duration (µs) | u16 port | u16 qtype |
 *   u16 rcode (with the extended bits) | i16 EDE (-1: none) | u8 source | u8 flags (1: TCP,
 *   2: translated) | 4 × (u8 length + bytes): client, view, upstream, blocking group |
 *   u16 wire length + the response's first WIRE_MAX bytes.
 */

/** Bytes of the response kept per row: the question and the first answers (addresses past it are left out). */
export const WIRE_MAX = 512;
const FIXED = 24;
/** The largest row: fixed fields, four strings of up to 255 bytes, the wire head. */
export const MAX_ROW = FIXED + 4 * 256 + 2 + WIRE_MAX;
/** Bits 0-1 of the flags byte: the transport (TransportKind: udp, tcp, dot, doh). */
export const TRANSPORT_MASK = 3;
export const FLAG_TRANSLATED = 4;

/** One sealed batch of rows, shared read-only by every sink. */
export interface Batch {
  readonly buf: Buffer;
  readonly rows: number;
}

/** What the writer reads of an answered query (QueryContext fits). */
export interface RecordSource {
  readonly address: string;
  readonly port: number;
  readonly transport: number;
  readonly source: number;
  readonly upstream: string | null;
  readonly translated: boolean;
  readonly blockedBy: string | null;
  readonly ede: number;
  readonly q: { readonly qtype: number };
}

/** Appends rows to a buffer of `size` bytes; `seal()` hands the rows over and starts a new one. */
export class BatchWriter {
  readonly #size: number;
  #buf: Buffer;
  #pos = 0;
  #rows = 0;

  constructor(size = 256 * 1024) {
    this.#size = Math.max(size, MAX_ROW * 2);
    this.#buf = Buffer.allocUnsafeSlow(this.#size);
  }

  get rows(): number {
    return this.#rows;
  }

  /** True when one more row might not fit. */
  get full(): boolean {
    return this.#size - this.#pos < MAX_ROW;
  }

  /** Writes one row; the caller seals first when `full`. */
  append(ctx: RecordSource, view: string | null, wire: Buffer, rcode: number, timeMs: number, durationUs: number): void {
    const b = this.#buf;
    const start = this.#pos;
    b.writeDoubleLE(timeMs, start + 2);
    b.writeUInt32LE(durationUs > 0xffffffff ? 0xffffffff : durationUs >>> 0, start + 10);
    b.writeUInt16LE(ctx.port, start + 14);
    b.writeUInt16LE(ctx.q.qtype & 0xffff, start + 16);
    b.writeUInt16LE(rcode & 0xffff, start + 18);
    b.writeInt16LE(ctx.ede < 0 || ctx.ede > 0x7fff ? -1 : ctx.ede, start + 20);
    b[start + 22] = ctx.source;
    b[start + 23] = (ctx.transport & TRANSPORT_MASK) | (ctx.translated ? FLAG_TRANSLATED : 0);
    let p = start + FIXED;
    p = writeShort(b, p, ctx.address, 'latin1');
    p = writeShort(b, p, view, 'utf8');
    p = writeShort(b, p, ctx.upstream, 'utf8');
    p = writeShort(b, p, ctx.blockedBy, 'utf8');
    const n = wire.length < WIRE_MAX ? wire.length : WIRE_MAX;
    b.writeUInt16LE(n, p);
    wire.copy(b, p + 2, 0, n);
    p += 2 + n;
    b.writeUInt16LE(p - start, start);
    this.#pos = p;
    this.#rows++;
  }

  /** The rows written since the last seal (null when none); the next rows go to a new buffer. */
  seal(): Batch | null {
    if (this.#rows === 0) return null;
    const batch = { buf: this.#buf.subarray(0, this.#pos), rows: this.#rows };
    this.#buf = Buffer.allocUnsafeSlow(this.#size);
    this.#pos = 0;
    this.#rows = 0;
    return batch;
  }
}

/** The batch without its first `n` rows (the same bytes, no copy). */
export function dropRows(batch: Batch, n: number): Batch {
  let pos = 0;
  for (let i = 0; i < n; i++) pos += batch.buf.readUInt16LE(pos);
  return { buf: batch.buf.subarray(pos), rows: batch.rows - n };
}

function writeShort(b: Buffer, p: number, s: string | null, enc: 'latin1' | 'utf8'): number {
  if (s === null || s.length === 0) {
    b[p] = 0;
    return p + 1;
  }
  const n = b.write(s, p + 1, 255, enc);
  b[p] = n;
  return p + 1 + n;
}

/** One answer as the sinks and the search see it. */
export interface QueryRecord {
  /** Milliseconds since the epoch when the answer was sent. */
  time: number;
  client: string;
  port: number;
  view: string | null;
  protocol: (typeof transportNames)[number];
  /** The question name as the client sent it, with the trailing dot; null when there was none. */
  qname: string | null;
  qtype: number;
  rcode: number;
  /** Answer source name: authoritative, cache, stale, upstream, local, refused, blocked, blocklist… */
  source: string;
  upstream: string | null;
  durationMs: number;
  /** A and AAAA addresses of the answer section, as sent (after translation). */
  answers: string[];
  translated: boolean;
  /** The blocking group that matched, when the answer was blocked by a list. */
  blockedBy: string | null;
  /** RFC 8914 Extended DNS Error code, or null. */
  ede: number | null;
}

/** Reads every row of a batch (off the answer path). */
export function decodeBatch(buf: Uint8Array): QueryRecord[] {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: QueryRecord[] = [];
  let pos = 0;
  while (pos + FIXED <= b.length) {
    const len = b.readUInt16LE(pos);
    if (len < FIXED || pos + len > b.length) break;
    out.push(decodeRow(b, pos));
    pos += len;
  }
  return out;
}

function decodeRow(b: Buffer, start: number): QueryRecord {
  let p = start + FIXED;
  const client = b.toString('latin1', p + 1, p + 1 + b[p]!); p += 1 + b[p]!;
  const view = readShort(b, p); p += 1 + b[p]!;
  const upstream = readShort(b, p); p += 1 + b[p]!;
  const blockedBy = readShort(b, p); p += 1 + b[p]!;
  const wireLen = b.readUInt16LE(p);
  const wire = b.subarray(p + 2, p + 2 + wireLen);
  const flags = b[start + 23]!;
  const ede = b.readInt16LE(start + 20);
  const { qname, answers } = readAnswer(wire);
  return {
    time: b.readDoubleLE(start + 2),
    client,
    port: b.readUInt16LE(start + 14),
    view,
    protocol: transportNames[flags & TRANSPORT_MASK]!,
    qname,
    qtype: b.readUInt16LE(start + 16),
    rcode: b.readUInt16LE(start + 18),
    source: answerSourceNames[b[start + 22]!] ?? String(b[start + 22]),
    upstream,
    durationMs: b.readUInt32LE(start + 10) / 1000,
    answers,
    translated: (flags & FLAG_TRANSLATED) !== 0,
    blockedBy,
    ede: ede < 0 ? null : ede,
  };
}

function readShort(b: Buffer, p: number): string | null {
  const n = b[p]!;
  return n === 0 ? null : b.toString('utf8', p + 1, p + 1 + n);
}

/**
 * The question name and the A/AAAA addresses of the answer section of a (possibly cut) response.
 * Records past the kept bytes are left out; a damaged message yields what could be read.
 */
export function readAnswer(wire: Buffer): { qname: string | null; answers: string[] } {
  const answers: string[] = [];
  if (wire.length < 12) return { qname: null, answers };
  const qd = wire.readUInt16BE(4);
  const an = wire.readUInt16BE(6);
  if (qd === 0) return { qname: null, answers };
  let qname: string | null = null;
  try {
    const q = readName(wire, 12);
    qname = q.name;
    let p = q.next + 4;
    for (let i = 1; i < qd; i++) p = skipName(wire, p) + 4;
    for (let i = 0; i < an; i++) {
      p = skipName(wire, p);
      if (p < 0 || p + 10 > wire.length) break;
      const type = wire.readUInt16BE(p);
      const rdlen = wire.readUInt16BE(p + 8);
      const rd = p + 10;
      if (rd + rdlen > wire.length) break;
      if (type === RRType.A && rdlen === 4) answers.push(`${wire[rd]}.${wire[rd + 1]}.${wire[rd + 2]}.${wire[rd + 3]}`);
      else if (type === RRType.AAAA && rdlen === 16) answers.push(ipv6Text(wire, rd));
      p = rd + rdlen;
    }
  } catch {
    // a damaged question: keep what was read
  }
  return { qname, answers };
}

/** Offset after a (possibly compressed) name, or -1 when it runs past the end. */
function skipName(wire: Buffer, p: number): number {
  while (p >= 0 && p < wire.length) {
    const len = wire[p]!;
    if (len === 0) return p + 1;
    if ((len & 0xc0) === 0xc0) return p + 2 <= wire.length ? p + 2 : -1;
    p += len + 1;
  }
  return -1;
}

/** RFC 5952 text of 16 bytes at `p` (longest zero run compressed, lower case). */
export function ipv6Text(b: Uint8Array, p: number): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((b[p + 2 * i]! << 8) | b[p + 2 * i + 1]!);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  if (bestStart < 0) return words.map((w) => w.toString(16)).join(':');
  const head = words.slice(0, bestStart).map((w) => w.toString(16)).join(':');
  const tail = words.slice(bestStart + bestLen).map((w) => w.toString(16)).join(':');
  return `${head}::${tail}`;
}
