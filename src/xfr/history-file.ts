import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { decodeRecords, frameRecord, salvageRecords, type Damage, type RecordReader } from '../util/record-file.js';
import { keepCopy } from '../update/journal.js';
import type { JournalOnCorrupt } from '../config/types.js';
import { RRType } from '../wire/constants.js';
import type { RR } from '../wire/types.js';
import { diffSize, serialOf, type ZoneDiff } from './diff.js';
import type { Logger } from '../observability/log.js';
import type { Zone } from '../zone/zone.js';
import { XfrHistory, type HistoryLimits, type HistorySink } from './history.js';
import { codeOf, HzError } from '../errors/index.js';

/**
 * The IXFR history of one zone on disk, `<dataDir>/<zone>.ixfr`, so that a restarted primary
 * still answers IXFR. The file starts with the 8-byte magic `HZIXFR01`, then one record per
 * difference, oldest first, framed like the update journal:
 *
 *     u32 length | u32 CRC-32 of the payload | payload (UTF-8 JSON, `length` bytes)
 *
 * The payload is `{"f":soa,"t":soa,"d":[rr…],"a":[rr…]}` (old SOA, new SOA, records deleted,
 * records added), each record `[name,type,class,ttl,base64 rdata]`. A record is accepted only
 * when it is complete, its checksum matches, it parses and it starts at the serial the previous
 * one ended at; reading stops at the first one that is not. An interrupted final append is cut
 * off; damage before the end is handled like a damaged journal (`journal.onCorrupt`): the file
 * is copied to `<file>.corrupt-<time>`, then left alone (`refuse`: the history is kept in memory
 * only and the server reports not ready) or cut at its last good record (`truncate`).
 *
 * Each difference is appended and fdatasync'd in order (in the background: the update that
 * made it is already durable in its journal). The file may hold up to twice the limits of the
 * history in memory; beyond that, or after a failed write, or when the history starts again,
 * the whole file is rewritten: `<file>.tmp`, synced, renamed over the file, directory synced.
 */

export const HISTORY_MAGIC = Buffer.from('HZIXFR01', 'latin1');

type WireRR = [string, number, number, number, string];

/** What opening a history file found. */
export interface LoadedHistory {
  file: HistoryFile;
  /** The good differences, oldest first, each leading to the next. */
  diffs: ZoneDiff[];
  /** Why bytes after the last good record were cut off, or null. */
  cut: { problem: string; offset: number; bytes: number; damage: Damage; copy: string | null } | null;
}

/** A history file damaged before its end, opened with `refuse`: left as it is. */
export class HistoryDamagedError extends HzError {
  constructor(readonly path: string, readonly problem: string, readonly offset: number, readonly bytes: number, readonly copy: string) {
    super('HZ_ERR_HISTORY_DAMAGED', `IXFR history ${path} is damaged: ${problem}; ${bytes} byte(s) from offset ${offset} on would be dropped; copy kept as ${copy}`);
  }
}

export class HistoryFile implements HistorySink {
  readonly path: string;
  readonly #limits: HistoryLimits;
  readonly #onError: (err: Error) => void;
  /** Differences and records (as diffSize counts them) in the file. */
  #diffs: number;
  #records: number;
  /** Bytes of the file that hold complete records (the append position). */
  #size: number;
  /** A write failed: the file no longer matches; the next change rewrites it whole. */
  #dirty = false;
  /** Writes run one at a time, in order. */
  #queue: Promise<void> = Promise.resolve();

  private constructor(path: string, limits: HistoryLimits, onError: (err: Error) => void, diffs: readonly ZoneDiff[], size: number) {
    this.path = path;
    this.#limits = limits;
    this.#onError = onError;
    this.#diffs = diffs.length;
    this.#records = diffs.reduce((n, d) => n + diffSize(d), 0);
    this.#size = size;
  }

  /**
   * Reads the file (creating its directory when missing). A torn or corrupt tail is cut at the
   * last good record and reported; a file that is not a history at all is replaced by an empty one.
   * `onError` hears about every later write that fails (the history in memory is unaffected).
   */
  static open(path: string, limits: HistoryLimits, onError: (err: Error) => void, onCorrupt: JournalOnCorrupt = 'refuse'): LoadedHistory {
    mkdirSync(dirname(path), { recursive: true });
    removeTmp(path);
    const buf = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
    const d = decodeHistory(buf);
    let copy: string | null = null;
    if (d.damage === 'damaged') {
      copy = keepCopy(path, buf);
      if (onCorrupt === 'refuse') throw new HistoryDamagedError(path, d.problem!, d.goodBytes, buf.length - d.goodBytes, copy);
    }
    const cut = d.problem === null || d.damage === null ? null : { problem: d.problem, offset: d.goodBytes, bytes: buf.length - d.goodBytes, damage: d.damage, copy };
    let size = d.goodBytes;
    const fd = openSync(path, size === 0 ? 'w' : 'r+');
    try {
      if (size === 0) {
        size = HISTORY_MAGIC.length;
        writeAll(fd, HISTORY_MAGIC);
      }
      if (size < buf.length) ftruncateSync(fd, size);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return { file: new HistoryFile(path, limits, onError, d.diffs, size), diffs: d.diffs, cut };
  }

  /** Differences in the file now (including those written ahead of the queue). */
  get length(): number {
    return this.#diffs;
  }

  pushed(diff: ZoneDiff, kept: readonly ZoneDiff[]): void {
    const size = diffSize(diff);
    if (this.#dirty || this.#diffs + 1 > 2 * this.#limits.maxDiffs || this.#records + size > 2 * this.#limits.maxRecords) {
      this.#rewrite(kept.slice());
      return;
    }
    const rec = encodeDiff(diff);
    this.#diffs++;
    this.#records += size;
    this.#enqueue(async () => {
      const fh = await open(this.path, 'r+');
      try {
        let done = 0;
        while (done < rec.length) done += (await fh.write(rec, done, rec.length - done, this.#size + done)).bytesWritten;
        await fh.datasync();
        this.#size += rec.length;
      } finally {
        await fh.close();
      }
    });
  }

  cleared(): void {
    if (this.#diffs > 0 || this.#dirty) this.#rewrite([]);
  }

  /** Resolves when every change so far is on disk (or has failed and been reported). */
  flush(): Promise<void> {
    return this.#queue;
  }

  #rewrite(diffs: readonly ZoneDiff[]): void {
    this.#diffs = diffs.length;
    this.#records = diffs.reduce((n, d) => n + diffSize(d), 0);
    this.#dirty = false;
    this.#enqueue(async () => {
      const data = Buffer.concat([HISTORY_MAGIC, ...diffs.map(encodeDiff)]);
      const tmp = `${this.path}.tmp`;
      const fh = await open(tmp, 'w');
      try {
        await fh.write(data);
        await fh.datasync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.path);
      const dir = await open(dirname(this.path), 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
      this.#size = data.length;
    });
  }

  #enqueue(task: () => Promise<void>): void {
    this.#queue = this.#queue.then(task).catch((err: Error) => {
      this.#dirty = true;
      removeTmp(this.path);
      this.#onError(err);
    });
  }
}

/**
 * The history of a primary zone as the file at `path` left it, mirrored to that file from now
 * on; `first` is the version served at start (a saved history that does not lead to its serial
 * is discarded). Damage is cut off and logged; null (logged) when the file cannot be used at all.
 */
export function openHistory(path: string, limits: HistoryLimits, first: Zone, log: Logger, onCorrupt: JournalOnCorrupt = 'refuse', damaged?: (err: HistoryDamagedError) => void): { history: XfrHistory; file: HistoryFile } | null {
  const zone = first.key;
  try {
    const loaded = HistoryFile.open(path, limits, (err) => log.error({ zone, file: path, err: err.message, code: codeOf(err) }, 'IXFR history file not written'), onCorrupt);
    if (loaded.cut?.damage === 'torn') log.warn({ zone, file: path, ...loaded.cut }, 'IXFR history file: an interrupted final append was cut off');
    else if (loaded.cut) log.error({ zone, file: path, ...loaded.cut }, 'IXFR history file damaged; journal.onCorrupt is truncate: cut at its last good record');
    const history = new XfrHistory(limits, loaded.file);
    if (history.restore(first, loaded.diffs)) log.info({ zone, differences: history.length, serial: first.serial }, 'IXFR history restored');
    else if (loaded.diffs.length > 0) log.info({ zone, file: path, serial: first.serial }, 'IXFR history does not lead to the served serial; discarded');
    return { history, file: loaded.file };
  } catch (err) {
    if (err instanceof HistoryDamagedError) {
      damaged?.(err);
      log.error({ zone, file: path, copy: err.copy, code: codeOf(err) }, `${err.message}; the file is left as it is and the history is kept in memory only (IXFR falls back to AXFR); inspect with \`horizond journal check\``);
      return null;
    }
    log.error({ zone, file: path, err: (err as Error).message, code: codeOf(err) }, 'IXFR history file unusable; the history is kept in memory only');
    return null;
  }
}

/** One difference, framed and checksummed, ready to append. */
export function encodeDiff(d: ZoneDiff): Buffer {
  const json = `{"f":${rrJson(d.from)},"t":${rrJson(d.to)},"d":[${d.deleted.map(rrJson).join(',')}],"a":[${d.added.map(rrJson).join(',')}]}`;
  return frameRecord([Buffer.from(json, 'utf8')]);
}

/** Reads a whole history file's bytes (magic included): the good differences, where they end, and why reading stopped early. */
export function decodeHistory(buf: Buffer): { diffs: ZoneDiff[]; goodBytes: number; problem: string | null; damage: Damage | null } {
  const r = decodeRecords(buf, HISTORY_READER);
  return { diffs: r.records, goodBytes: r.goodBytes, problem: r.problem, damage: r.damage };
}

/** The differences still readable after damage at `from` (what a repair would drop). */
export function salvageHistory(buf: Buffer, from: number): ZoneDiff[] {
  return salvageRecords(buf, from, HISTORY_READER).map((s) => s.record);
}

const HISTORY_READER: RecordReader<ZoneDiff> = {
  magic: HISTORY_MAGIC,
  what: 'a horizond IXFR history',
  parse: (p) => parseDiff(p),
  follows: (d, prev) => (serialOf(d.from) === serialOf(prev.to) ? null : `starts at serial ${serialOf(d.from)}, expected ${serialOf(prev.to)}`),
};

function rrJson(r: RR): string {
  return JSON.stringify([r.name, r.type, r.class, r.ttl, Buffer.from(r.rdata.buffer, r.rdata.byteOffset, r.rdata.byteLength).toString('base64')]);
}

function parseDiff(payload: Buffer): ZoneDiff | null {
  try {
    const o = JSON.parse(payload.toString('utf8')) as { f: WireRR; t: WireRR; d: WireRR[]; a: WireRR[] };
    if (!Array.isArray(o.d) || !Array.isArray(o.a)) return null;
    const from = toRR(o.f);
    const to = toRR(o.t);
    if (from.type !== RRType.SOA || to.type !== RRType.SOA || serialOf(from) === serialOf(to)) return null;
    return { from, to, deleted: o.d.map(toRR), added: o.a.map(toRR) };
  } catch {
    return null;
  }
}

function toRR(w: WireRR): RR {
  if (!Array.isArray(w) || typeof w[0] !== 'string' || !Number.isInteger(w[1]) || !Number.isInteger(w[2]) || !Number.isInteger(w[3]) || typeof w[4] !== 'string') {
    throw new HzError('HZ_ERR_IXFR_HISTORY_RECORD', 'bad record');
  }
  return { name: w[0], type: w[1], class: w[2], ttl: w[3], rdata: new Uint8Array(Buffer.from(w[4], 'base64')) };
}

function writeAll(fd: number, data: Buffer): void {
  let done = 0;
  while (done < data.length) done += writeSync(fd, data, done, data.length - done, done);
}

/** A rewrite interrupted before its rename leaves `<file>.tmp`: never valid, remove it. */
function removeTmp(path: string): void {
  try {
    unlinkSync(`${path}.tmp`);
  } catch {
    // usually absent
  }
}
