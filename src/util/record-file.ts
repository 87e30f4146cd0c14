import { crc32 } from 'node:zlib';

/**
 * The framing shared by horizond's append-only files (update journals, IXFR histories, the
 * saved cache): an 8-byte magic, then records
 *
 *     u32 length | u32 CRC-32 of the payload | payload (`length` bytes)
 *
 * Reading stops at the first record that is incomplete, fails its checksum, cannot be parsed or
 * does not follow its predecessor; everything before it is good. Where it stopped is classified:
 *
 * - `torn`: the data ends inside the final record, the trace of an append interrupted by a
 *   crash before its fsync (so never acknowledged). Cutting it loses nothing.
 * - `damaged`: something before the end is wrong (a flipped byte, a bad length, a bad magic,
 *   a sequence gap). Cutting there would throw away records that were acknowledged; the caller
 *   must not do it on its own.
 */

export const RECORD_HEADER = 8;
/** Larger lengths are corruption, not records (a snapshot of 100k names is a few MiB). */
export const MAX_RECORD = 256 * 1024 * 1024;

/** One record, framed and checksummed, from payload parts written back to back. */
export function frameRecord(parts: readonly Buffer[]): Buffer {
  let length = 0;
  let crc = 0;
  for (const p of parts) {
    length += p.length;
    crc = crc32(p, crc);
  }
  const out = Buffer.allocUnsafe(RECORD_HEADER + length);
  out.writeUInt32BE(length, 0);
  out.writeUInt32BE(crc, 4);
  let o = RECORD_HEADER;
  for (const p of parts) o += p.copy(out, o);
  return out;
}

/** How reading ended: everything read, an interrupted final append, or damage before the end. */
export type Damage = 'torn' | 'damaged';

export interface DecodedRecords<T> {
  records: T[];
  /** Bytes from the start of the file up to the end of the last good record. */
  goodBytes: number;
  /** Why reading stopped before the end of the data, or null when everything was read. */
  problem: string | null;
  /** What kind of stop `problem` is (null when there is none). */
  damage: Damage | null;
}

export interface RecordReader<T> {
  magic: Buffer;
  /** What the file is, for the bad-magic message (`a horizond journal`). */
  what: string;
  /** The record, or null when the payload is unreadable. */
  parse(payload: Buffer): T | null;
  /** Why `rec` cannot follow `prev` (e.g. a sequence gap), or null when it can. */
  follows?(rec: T, prev: T): string | null;
}

/** Reads a whole file's bytes (magic included). */
export function decodeRecords<T>(buf: Buffer, reader: RecordReader<T>): DecodedRecords<T> {
  const { magic } = reader;
  if (buf.length === 0) return { records: [], goodBytes: 0, problem: null, damage: null };
  if (buf.length < magic.length && magic.subarray(0, buf.length).equals(buf)) {
    return { records: [], goodBytes: 0, problem: `the file ends inside its magic (${buf.length} bytes)`, damage: 'torn' };
  }
  if (buf.length < magic.length || !buf.subarray(0, magic.length).equals(magic)) {
    return { records: [], goodBytes: 0, problem: `not ${reader.what} (bad magic)`, damage: 'damaged' };
  }
  const records: T[] = [];
  let p = magic.length;
  const stop = (problem: string, damage: Damage): DecodedRecords<T> => ({ records, goodBytes: p, problem, damage });
  while (p < buf.length) {
    // A file the filesystem extended but whose data never reached the disk reads as zeros.
    if (allZero(buf, p)) return stop(`${buf.length - p} zero byte(s) at offset ${p} (an append that never reached the disk)`, 'torn');
    if (p + RECORD_HEADER > buf.length) return stop(`incomplete record header at offset ${p}`, 'torn');
    const len = buf.readUInt32BE(p);
    const crc = buf.readUInt32BE(p + 4);
    if (len > MAX_RECORD) return stop(`impossible record length ${len} at offset ${p}`, 'damaged');
    if (p + RECORD_HEADER + len > buf.length) {
      const rest = buf.subarray(p + RECORD_HEADER);
      // Every byte of a record is there but the length says more: the length field is wrong.
      if (crc32(rest) === crc) return stop(`the record at offset ${p} has a bad length (${len}, but its ${rest.length} bytes to the end are complete)`, 'damaged');
      const later = nextFrame(buf, p + 1, reader);
      if (later !== -1) return stop(`the record at offset ${p} claims ${len} bytes, running over a good record at offset ${later}`, 'damaged');
      return stop(`record at offset ${p} is cut short (${rest.length} of ${len} bytes)`, 'torn');
    }
    const payload = buf.subarray(p + RECORD_HEADER, p + RECORD_HEADER + len);
    const last = p + RECORD_HEADER + len === buf.length;
    if (crc32(payload) !== crc) {
      // The final record, written up to its length but ending in zeros: the write never landed.
      if (last && len > 0 && payload[len - 1] === 0) return stop(`the final record at offset ${p} ends in zero bytes (an append that never reached the disk)`, 'torn');
      return stop(`checksum mismatch in the record at offset ${p}`, 'damaged');
    }
    const rec = reader.parse(payload);
    if (rec === null) return stop(`unreadable record at offset ${p}`, 'damaged');
    const prev = records.at(-1);
    const gap = prev !== undefined && reader.follows ? reader.follows(rec, prev) : null;
    if (gap !== null) return stop(`record at offset ${p} ${gap}`, 'damaged');
    records.push(rec);
    p += RECORD_HEADER + len;
  }
  return { records, goodBytes: p, problem: null, damage: null };
}

/** A record found after damage: where it starts and what it says. */
export interface SalvagedRecord<T> {
  offset: number;
  bytes: number;
  record: T;
}

/**
 * The records that can still be read after damage at `from`: every position where a complete
 * frame with a matching checksum and a parseable payload starts (scanning on after each). Used
 * to show what a repair would drop and how far the serial must jump; never to serve data.
 */
export function salvageRecords<T>(buf: Buffer, from: number, reader: RecordReader<T>): SalvagedRecord<T>[] {
  const out: SalvagedRecord<T>[] = [];
  let q = from;
  while (q + RECORD_HEADER <= buf.length) {
    const at = nextFrame(buf, q, reader);
    if (at === -1) break;
    const len = buf.readUInt32BE(at);
    const rec = reader.parse(buf.subarray(at + RECORD_HEADER, at + RECORD_HEADER + len));
    if (rec !== null) out.push({ offset: at, bytes: RECORD_HEADER + len, record: rec });
    q = rec !== null ? at + RECORD_HEADER + len : at + 1;
  }
  return out;
}

/** The first offset ≥ `from` where a complete, checksummed, parseable record starts, or -1. */
function nextFrame<T>(buf: Buffer, from: number, reader: RecordReader<T>): number {
  const end = buf.length - RECORD_HEADER;
  for (let q = from; q <= end; q++) {
    // Lengths are below 2^24 in any file this size (text payloads make the other offsets huge).
    const len = buf.readUInt32BE(q);
    if (len === 0 || q + RECORD_HEADER + len > buf.length) continue;
    const payload = buf.subarray(q + RECORD_HEADER, q + RECORD_HEADER + len);
    if (crc32(payload) !== buf.readUInt32BE(q + 4)) continue;
    if (reader.parse(payload) !== null) return q;
  }
  return -1;
}

function allZero(buf: Buffer, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}
