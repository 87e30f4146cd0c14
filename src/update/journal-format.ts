import { decodeRecords, frameRecord, salvageRecords, type DecodedRecords, type RecordReader, type SalvagedRecord } from '../util/record-file.js';
import type { RRsetChange } from '../zone/zone.js';
import { HzError } from '../errors/index.js';

/**
 * The journal file format. A file starts with the 8-byte magic `HZJRNL01`, then records:
 *
 *     u32 length | u32 CRC-32 of the payload | payload (UTF-8 JSON, `length` bytes)
 *
 * The payload is `{"q":seq,"t":ms,"s":serial,"k":"u"|"s","c":[[name,type,ttl,[base64 rdata…]]…]}`:
 * `u` is one applied update (the RRsets it changed, as after images), `s` a snapshot of the
 * whole dynamic layer that replaces everything before it. Sequence numbers increase by one.
 * A record is accepted only when it is complete, its checksum matches, it parses, and its
 * sequence number follows the previous one; reading stops at the first one that is not.
 */

export const MAGIC = Buffer.from('HZJRNL01', 'latin1');

export type RecordKind = 'u' | 's';

export interface JournalChange extends RRsetChange {
  /** Snapshot entries keep the time they were written (scavenging); 0 means the record's time. */
  readonly at?: number;
}

export interface JournalRecord {
  readonly seq: number;
  /** Time the update was applied, ms since the epoch. */
  readonly time: number;
  readonly serial: number;
  readonly kind: RecordKind;
  readonly changes: readonly JournalChange[];
}

type WireChange = [string, number, number, string[]] | [string, number, number, string[], number];

function wireChange(ch: JournalChange, time: number): WireChange {
  const rd = ch.rdata.map((d) => Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('base64'));
  return ch.at !== undefined && ch.at !== time ? [ch.name, ch.type, ch.ttl, rd, ch.at] : [ch.name, ch.type, ch.ttl, rd];
}

function head(r: JournalRecord): string {
  return `{"q":${r.seq},"t":${r.time},"s":${r.serial},"k":"${r.kind}","c":[`;
}

/** One record, framed and checksummed, ready to append. */
export function encodeRecord(r: JournalRecord): Buffer {
  const body = r.changes.map((ch) => JSON.stringify(wireChange(ch, r.time))).join(',');
  return frameRecord([Buffer.from(head(r) + body + ']}', 'utf8')]);
}

/** Entries encoded between two yields to the event loop. */
const CHUNK = 1000;

/**
 * The same bytes as encodeRecord, for a large snapshot: encoded a chunk at a time, giving the
 * event loop back in between, so a compaction never holds up queries or updates for long.
 */
export async function encodeRecordGently(r: JournalRecord): Promise<Buffer> {
  const parts: Buffer[] = [Buffer.from(head(r), 'utf8')];
  for (let i = 0; i < r.changes.length; i += CHUNK) {
    if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const body = r.changes.slice(i, i + CHUNK).map((ch) => JSON.stringify(wireChange(ch, r.time))).join(',');
    parts.push(Buffer.from((i > 0 ? ',' : '') + body, 'utf8'));
  }
  parts.push(Buffer.from(']}', 'utf8'));
  return frameRecord(parts);
}

export type DecodedJournal = DecodedRecords<JournalRecord>;

/** Reads a whole journal file's bytes (including the magic). */
export function decodeJournal(buf: Buffer): DecodedJournal {
  return decodeRecords(buf, READER);
}

/** The readable records after damage at `from` (what a repair would drop). */
export function salvageJournal(buf: Buffer, from: number): SalvagedRecord<JournalRecord>[] {
  return salvageRecords(buf, from, READER);
}

const READER: RecordReader<JournalRecord> = {
  magic: MAGIC,
  what: 'a horizond journal',
  parse: parsePayload,
  follows: (rec, prev) => (rec.seq === prev.seq + 1 ? null : `has sequence ${rec.seq}, expected ${prev.seq + 1}`),
};

function parsePayload(payload: Buffer): JournalRecord | null {
  try {
    const o = JSON.parse(payload.toString('utf8')) as { q: number; t: number; s: number; k: string; c: WireChange[] };
    if (!Number.isSafeInteger(o.q) || !Number.isFinite(o.t) || !Number.isInteger(o.s) || (o.k !== 'u' && o.k !== 's') || !Array.isArray(o.c)) return null;
    const changes: JournalChange[] = o.c.map(([name, type, ttl, rd, at]) => {
      if (typeof name !== 'string' || !Number.isInteger(type) || !Number.isInteger(ttl) || !Array.isArray(rd)) throw new HzError('HZ_ERR_JOURNAL_RECORD', 'bad change');
      const rdata = rd.map((b) => new Uint8Array(Buffer.from(b, 'base64')));
      return at === undefined ? { name, type, ttl, rdata } : { name, type, ttl, rdata, at };
    });
    return { seq: o.q, time: o.t, serial: o.s >>> 0, kind: o.k, changes };
  } catch {
    return null;
  }
}
