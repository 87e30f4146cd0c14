import { crc32 } from 'node:zlib';

/**
 * The framing shared by horizond's append-only files (update journals, IXFR histories): an
 * 8-byte magic, then records
 *
 *     u32 length | u32 CRC-32 of the payload | payload (`length` bytes)
 *
 * Reading stops at the first record that is incomplete, fails its checksum, cannot be parsed or
 * does not follow its predecessor; everything before it is good (a torn tail is cut there).
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

export interface DecodedRecords<T> {
  records: T[];
  /** Bytes from the start of the file up to the end of the last good record. */
  goodBytes: number;
  /** Why reading stopped before the end of the data, or null when everything was read. */
  problem: string | null;
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
  if (buf.length === 0) return { records: [], goodBytes: 0, problem: null };
  if (buf.length < magic.length || !buf.subarray(0, magic.length).equals(magic)) {
    return { records: [], goodBytes: 0, problem: `not ${reader.what} (bad magic)` };
  }
  const records: T[] = [];
  let p = magic.length;
  let problem: string | null = null;
  while (p < buf.length) {
    if (p + RECORD_HEADER > buf.length) { problem = `incomplete record header at offset ${p}`; break; }
    const len = buf.readUInt32BE(p);
    if (len > MAX_RECORD) { problem = `impossible record length ${len} at offset ${p}`; break; }
    if (p + RECORD_HEADER + len > buf.length) { problem = `record at offset ${p} is cut short (${buf.length - p - RECORD_HEADER} of ${len} bytes)`; break; }
    const payload = buf.subarray(p + RECORD_HEADER, p + RECORD_HEADER + len);
    if (crc32(payload) !== buf.readUInt32BE(p + 4)) { problem = `checksum mismatch in the record at offset ${p}`; break; }
    const rec = reader.parse(payload);
    if (rec === null) { problem = `unreadable record at offset ${p}`; break; }
    const prev = records.at(-1);
    const gap = prev !== undefined && reader.follows ? reader.follows(rec, prev) : null;
    if (gap !== null) { problem = `record at offset ${p} ${gap}`; break; }
    records.push(rec);
    p += RECORD_HEADER + len;
  }
  return { records, goodBytes: p, problem };
}
