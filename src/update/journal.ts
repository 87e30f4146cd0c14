import { closeSync, copyFileSync, existsSync, fsyncSync, ftruncateSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { decodeJournal, encodeRecord, encodeRecordGently, MAGIC, salvageJournal, type JournalRecord } from './journal-format.js';
import { HzError } from '../errors/index.js';

/**
 * One zone's journal file in the data directory: every applied update is appended as one
 * checksummed record and made durable (fdatasync) before the update is acknowledged. Several
 * updates waiting together are written with one write and one fdatasync (group commit); each
 * waits for the sync that covers its own record. The zone file itself is never written.
 *
 * Compaction replaces the file with one snapshot record and the records after it: written to
 * `<file>.tmp`, synced, renamed over the journal (atomic), then the directory is synced. A crash
 * at any point leaves either the old or the new file, both complete.
 */

/** What to do when a journal is damaged before its end (config `journal.onCorrupt`). */
export type OnCorrupt = 'refuse' | 'truncate';

export interface OpenedJournal {
  journal: Journal;
  /** The good records, in order. */
  records: JournalRecord[];
  /** An interrupted final append that was cut (or, read-only, ignored): it was never acknowledged. */
  cut: { problem: string; offset: number; bytes: number } | null;
  /** Damage before the end that `onCorrupt: truncate` dropped (the dropped bytes are in `copy`). */
  damage: JournalDamage | null;
  /** The journal did not exist and could not be created (a full disk): the first update tries again. */
  createError: Error | null;
}

/** What is wrong with a damaged journal and what serving from its good part would lose. */
export interface JournalDamage {
  readonly path: string;
  readonly problem: string;
  /** Offset of the damage: the end of the last record that is provably good. */
  readonly offset: number;
  /** Bytes from there to the end of the file. */
  readonly bytes: number;
  /** Good records before the damage, and the serial the last of them gave the zone (null: none). */
  readonly kept: number;
  readonly keptSerial: number | null;
  readonly keptSeq: number;
  /** Complete, checksummed records found after the damage (they cannot be applied: what lies between is lost). */
  readonly salvaged: number;
  /** The highest serial and sequence number among them (null: none readable). */
  readonly salvagedSerial: number | null;
  readonly salvagedSeq: number | null;
  /** The untouched copy of the whole file, `<file>.corrupt-<time>` (null when read-only or when it could not be made). */
  readonly copy: string | null;
  /** Why the copy could not be made (a full disk), or null. */
  readonly copyError?: string;
}

/** A journal damaged before its end, opened with `onCorrupt: refuse`: the zone is not served. */
export class JournalDamagedError extends HzError {
  constructor(readonly damage: JournalDamage) {
    super('HZ_ERR_JOURNAL_DAMAGED', describeDamage(damage));
  }
}

/** One line saying what is wrong, what a repair would drop, and where the copy is. */
export function describeDamage(d: JournalDamage): string {
  const after = d.salvaged > 0
    ? `; ${d.bytes} byte(s) from there on would be dropped, among them ${d.salvaged} readable record(s) up to serial ${d.salvagedSerial}`
    : `; ${d.bytes} byte(s) from there on would be dropped`;
  const kept = d.kept > 0 ? `${d.kept} good record(s) before it (serial ${d.keptSerial})` : 'no good record before it';
  return `journal ${d.path} is damaged: ${d.problem}; ${kept}${after}` + (d.copy ? `; copy kept as ${d.copy}` : '') +
    (d.copyError ? `; no copy could be made (${d.copyError}), so the file is not changed whatever journal.onCorrupt says` : '');
}

export class Journal {
  readonly path: string;
  readonly readOnly: boolean;
  #fh: FileHandle | null = null;
  /** Bytes of the file that hold complete records (the append position). */
  #size: number;
  /** Bytes appended since the last snapshot (or since the file was created). */
  #sinceSnapshot: number;
  /** Set when a failed append could not be rolled back: nothing more may be appended. */
  #broken: Error | null = null;
  /** Appends and the switch to a compacted file run one at a time, in order. */
  #lock: Promise<unknown> = Promise.resolve();
  /** While a compaction is written: the records appended since its snapshot. */
  #tail: Buffer[] | null = null;

  private constructor(path: string, readOnly: boolean, size: number, sinceSnapshot: number) {
    this.path = path;
    this.readOnly = readOnly;
    this.#size = size;
    this.#sinceSnapshot = sinceSnapshot;
  }

  /**
   * Opens (creating when missing, unless read-only) and reads the journal. An interrupted final
   * append (a torn tail, never acknowledged) is cut and reported (read-only: just ignored).
   * Damage before the end is never cut silently: the whole file is first copied to
   * `<file>.corrupt-<time>`; then with `refuse` a JournalDamagedError is thrown and the file is
   * left as it is, with `truncate` the file is cut at the last good record and the damage
   * returned (the caller raises the serial past anything the dropped records may have served).
   */
  static open(path: string, readOnly = false, onCorrupt: OnCorrupt = 'refuse'): OpenedJournal {
    const buf = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
    const d = decodeJournal(buf);
    let cut: OpenedJournal['cut'] = null;
    let damage: JournalDamage | null = null;
    if (d.damage === 'damaged') {
      let copy: string | null = null;
      let copyError: string | undefined;
      if (!readOnly) {
        try {
          copy = keepCopy(path, buf);
        } catch (err) {
          copyError = (err as Error).message;
        }
      }
      damage = { ...assessDamage(path, buf, d.records, d.goodBytes, d.problem!, copy), ...(copyError ? { copyError } : {}) };
      // Without a copy nothing is cut, whatever the operator chose.
      if (onCorrupt === 'refuse' || copyError !== undefined) throw new JournalDamagedError(damage);
    } else if (d.problem !== null) {
      cut = { problem: d.problem, offset: d.goodBytes, bytes: buf.length - d.goodBytes };
    }
    let size = d.goodBytes;
    let createError: Error | null = null;
    if (!readOnly) {
      if (size === 0) {
        if (existsSync(path)) unlinkSync(path);
        try {
          writeNew(path, [MAGIC]);
          size = MAGIC.length;
        } catch (err) {
          // A full (or read-only) disk must not stop the zone from being served: the journal is
          // created by the first update instead, which fails with SERVFAIL until there is room.
          createError = err as Error;
          rmSync(path, { force: true });
        }
      } else if (size < buf.length) {
        const fd = openSync(path, 'r+');
        try {
          ftruncateSync(fd, size);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
      }
      cleanupTmp(path);
    }
    let snap = d.records.length - 1;
    while (snap >= 0 && d.records[snap]!.kind !== 's') snap--;
    let since = Math.max(0, size - MAGIC.length);
    if (snap >= 0) {
      since = 0;
      for (let i = snap + 1; i < d.records.length; i++) since += encodeRecord(d.records[i]!).length;
    }
    return { journal: new Journal(path, readOnly, size, since), records: d.records, cut, damage, createError };
  }

  /** Reads a journal without changing anything: its good records and, when damaged, what is wrong. */
  static inspect(path: string): { records: JournalRecord[]; size: number; cut: OpenedJournal['cut']; damage: JournalDamage | null } {
    const buf = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
    const d = decodeJournal(buf);
    const damage = d.damage === 'damaged' ? assessDamage(path, buf, d.records, d.goodBytes, d.problem!, null) : null;
    const cut = d.damage === 'torn' ? { problem: d.problem!, offset: d.goodBytes, bytes: buf.length - d.goodBytes } : null;
    return { records: d.records, size: buf.length, cut, damage };
  }

  /**
   * Appends records now, synchronously, and syncs them: only for start-up, before anything else
   * uses the journal (the serial floor written after a truncating repair).
   */
  appendSync(records: readonly JournalRecord[]): void {
    if (this.readOnly) throw new HzError('HZ_ERR_JOURNAL_READONLY', `journal ${this.path} is open read-only`);
    const data = Buffer.concat(records.map(encodeRecord));
    const fd = openSync(this.path, 'r+');
    try {
      let done = 0;
      while (done < data.length) done += writeSync(fd, data, done, data.length - done, this.#size + done);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.#size += data.length;
    this.#sinceSnapshot += data.length;
  }

  /** Every good record in the file now (a read-only reader catching up with the writer). */
  reread(): JournalRecord[] {
    return existsSync(this.path) ? decodeJournal(readFileSync(this.path)).records : [];
  }

  /** Size of the file's good part in bytes. */
  get size(): number {
    return this.#size;
  }

  /** Bytes appended since the last snapshot. */
  get sinceSnapshot(): number {
    return this.#sinceSnapshot;
  }

  /**
   * Appends records and waits until they are on stable storage. On failure the file is cut back
   * to its previous length so the next append starts clean; if even that fails the journal
   * refuses every later append (the zone stays read-only until restart).
   */
  append(records: readonly JournalRecord[]): Promise<void> {
    if (this.readOnly) return Promise.reject(new HzError('HZ_ERR_JOURNAL_READONLY', `journal ${this.path} is open read-only`));
    const data = Buffer.concat(records.map(encodeRecord));
    return this.#exclusive(async () => {
      if (this.#broken) throw this.#broken;
      if (this.#size === 0) {
        writeNew(this.path, [MAGIC]); // not created at start (full disk): now or never
        this.#size = MAGIC.length;
      }
      const fh = await this.#handle();
      try {
        let done = 0;
        while (done < data.length) done += (await fh.write(data, done, data.length - done, this.#size + done)).bytesWritten;
        await fh.datasync();
      } catch (err) {
        try {
          await fh.truncate(this.#size);
          await fh.datasync();
        } catch (again) {
          this.#broken = new HzError('HZ_ERR_JOURNAL_BROKEN', `journal ${this.path} is unusable after a failed write: ${(again as Error).message}`, { cause: again });
        }
        throw err;
      }
      this.#size += data.length;
      this.#sinceSnapshot += data.length;
      this.#tail?.push(data);
    });
  }

  /** True while a compaction is being written. */
  get compacting(): boolean {
    return this.#tail !== null;
  }

  /**
   * Replaces the journal with `snapshot` (the state after record `snapshot.seq`) followed by the
   * records appended since it was taken. The snapshot is written and synced while appends go on
   * (to the old file, and remembered); only copying those few records, the rename and the
   * directory sync hold appends back. On any failure the old file stays in use, complete.
   */
  async compact(snapshot: JournalRecord): Promise<void> {
    if (this.readOnly) throw new HzError('HZ_ERR_JOURNAL_READONLY', `journal ${this.path} is open read-only`);
    if (this.#broken) throw this.#broken;
    if (this.#tail !== null) throw new HzError('HZ_ERR_JOURNAL_BUSY', `journal ${this.path} is already being compacted`);
    this.#tail = [];
    const tmp = `${this.path}.tmp`;
    let out: FileHandle | null = null;
    try {
      const head = Buffer.concat([MAGIC, await encodeRecordGently(snapshot)]);
      out = await open(tmp, 'w');
      await out.write(head);
      await out.datasync();
      await this.#exclusive(async () => {
        const tail = Buffer.concat(this.#tail!);
        if (tail.length > 0) {
          await out!.write(tail, 0, tail.length, head.length);
          await out!.datasync();
        }
        await out!.close();
        out = null;
        renameSync(tmp, this.path);
        syncDir(dirname(this.path));
        await this.#fh?.close();
        this.#fh = null;
        this.#size = head.length + tail.length;
        this.#sinceSnapshot = tail.length;
      });
    } catch (err) {
      await (out as FileHandle | null)?.close().catch(() => undefined);
      cleanupTmp(this.path);
      throw err;
    } finally {
      this.#tail = null;
    }
  }

  async close(): Promise<void> {
    const fh = this.#fh;
    this.#fh = null;
    await fh?.close();
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn);
    this.#lock = run.catch(() => undefined);
    return run;
  }

  async #handle(): Promise<FileHandle> {
    this.#fh ??= await open(this.path, 'r+');
    return this.#fh;
  }
}

/** Creates a file with the given content, synced, and its directory entry synced. */
function writeNew(path: string, chunks: readonly Buffer[]): void {
  rmSync(path, { force: true }); // what an earlier failed attempt left
  try {
    const fd = openSync(path, 'wx');
    try {
      for (const c of chunks) writeSync(fd, c);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    syncDir(dirname(path));
  } catch (err) {
    rmSync(path, { force: true });
    throw err;
  }
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function assessDamage(path: string, buf: Buffer, records: readonly JournalRecord[], goodBytes: number, problem: string, copy: string | null): JournalDamage {
  const salvaged = salvageJournal(buf, Math.max(goodBytes, MAGIC.length));
  let salvagedSerial: number | null = null;
  let salvagedSeq: number | null = null;
  for (const s of salvaged) {
    salvagedSerial = salvagedSerial === null || serialAbove(s.record.serial, salvagedSerial) ? s.record.serial : salvagedSerial;
    salvagedSeq = Math.max(salvagedSeq ?? 0, s.record.seq);
  }
  const last = records.at(-1);
  return {
    path, problem, offset: goodBytes, bytes: buf.length - goodBytes,
    kept: records.length, keptSerial: last?.serial ?? null, keptSeq: last?.seq ?? 0,
    salvaged: salvaged.length, salvagedSerial, salvagedSeq, copy,
  };
}

/** RFC 1982 "greater than" (kept local: util-level code here, update/serial.ts has the same rule). */
function serialAbove(a: number, b: number): boolean {
  const x = a >>> 0;
  const y = b >>> 0;
  return (x < y && y - x > 0x80000000) || (x > y && x - y < 0x80000000);
}

/**
 * Copies a damaged file whole to `<file>.corrupt-<time>` (synced), unless an identical copy is
 * already there (a server restarted in a loop must not fill the disk). Returns the copy's path.
 */
export function keepCopy(path: string, buf: Buffer): string {
  const dir = dirname(path);
  const prefix = `${basename(path)}.corrupt-`;
  for (const f of readdirSync(dir)) {
    if (!f.startsWith(prefix)) continue;
    const other = join(dir, f);
    try {
      if (statSync(other).size === buf.length && readFileSync(other).equals(buf)) return other;
    } catch {
      // vanished meanwhile
    }
  }
  const copy = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  try {
    copyFileSync(path, copy);
    const fd = openSync(copy, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    rmSync(copy, { force: true }); // a partial copy is no copy
    throw err;
  }
  syncDir(dir);
  return copy;
}

/** A compaction interrupted before its rename leaves `<file>.tmp`: never valid, remove it. */
function cleanupTmp(path: string): void {
  try {
    unlinkSync(`${path}.tmp`);
  } catch {
    // usually absent
  }
}
