import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { decodeJournal, encodeRecord, encodeRecordGently, MAGIC, type JournalRecord } from './journal-format.js';
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

export interface OpenedJournal {
  journal: Journal;
  /** The good records, in order. */
  records: JournalRecord[];
  /** What was wrong with the tail, when bytes after the last good record were cut (or, read-only, ignored). */
  cut: { problem: string; offset: number; bytes: number } | null;
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
   * Opens (creating when missing, unless read-only) and reads the journal. A torn or corrupt
   * tail is cut at the last good record (read-only: just ignored) and reported. A file that is
   * not a journal at all is moved aside to `<file>.corrupt-<ms>` and a new one started.
   */
  static open(path: string, readOnly = false): OpenedJournal {
    const buf = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
    const d = decodeJournal(buf);
    let cut: OpenedJournal['cut'] = null;
    let size = d.goodBytes;
    if (d.problem !== null) cut = { problem: d.problem, offset: d.goodBytes, bytes: buf.length - d.goodBytes };
    if (!readOnly) {
      if (size === 0) {
        if (buf.length > 0) renameSync(path, `${path}.corrupt-${Date.now()}`);
        else if (existsSync(path)) unlinkSync(path);
        writeNew(path, [MAGIC]);
        size = MAGIC.length;
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
    return { journal: new Journal(path, readOnly, size, since), records: d.records, cut };
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
  const fd = openSync(path, 'wx');
  try {
    for (const c of chunks) writeSync(fd, c);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  syncDir(dirname(path));
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A compaction interrupted before its rename leaves `<file>.tmp`: never valid, remove it. */
function cleanupTmp(path: string): void {
  try {
    unlinkSync(`${path}.tmp`);
  } catch {
    // usually absent
  }
}
