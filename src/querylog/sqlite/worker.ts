import { closeSync, existsSync, mkdirSync, openSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { decodeBatch } from '../record.js';
import { INSERT, recordParams, setupDatabase } from './schema.js';
import type { FromWorker, SqliteWorkerData, ToWorker } from './messages.js';

/**
 * The SQLite sink's writer thread. It owns the database file: inserts each batch in one
 * transaction, enforces retention by age and size in small background steps, moves a corrupt
 * file aside and starts a new one, and reports an unusable file (read-only, full disk) to the
 * main thread, retrying every few seconds. Nothing here can block the answer path.
 */

const data = workerData as SqliteWorkerData;
const port = parentPort!;
const RETRY_MS = data.retryMs;
/** Rows deleted per retention step; steps are spaced out so inserts interleave. */
const STEP_ROWS = 5000;

let db: Database.Database | null = null;
let insert: Database.Statement | null = null;
let insertMany: ((rows: unknown[][]) => void) | null = null;
let retryTimer: NodeJS.Timeout | null = null;
let retentionTimer: NodeJS.Timeout | null = null;
let retentionRunning = false;
let closing = false;
let deleted = 0;
let corrupt = 0;

function post(m: FromWorker): void {
  port.postMessage(m);
}

function isCorrupt(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB';
}

function describe(err: unknown): { code: string; message: string } {
  const e = err as { code?: string; message?: string };
  const code = e.code ?? 'ERROR';
  let why = e.message ?? String(err);
  const os = code === 'SQLITE_CANTOPEN' || code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_READONLY') ? osReason() : null;
  if (os === 'EROFS') why = `${data.file} is on a read-only file system (${why})`;
  else if (os === 'EACCES' || os === 'EPERM') why = `no permission to write ${data.file} (${why})`;
  else if (os === 'ENOSPC') why = `the disk holding ${data.file} is full (${why})`;
  else if (code.startsWith('SQLITE_READONLY')) why = `${data.file} is read-only (${why})`;
  else if (code === 'SQLITE_FULL' || code === 'SQLITE_IOERR_WRITE' || /ENOSPC|disk is full|database or disk is full/i.test(why)) why = `the disk holding ${data.file} is full (${why})`;
  else if (code === 'SQLITE_CANTOPEN') why = `cannot open ${data.file} (${why})`;
  else why = `${data.file}: ${why}`;
  return { code, message: `sqlite: ${why}` };
}

/** Why the file system refuses the file, as an errno code (null when it does not). */
function osReason(): string | null {
  try {
    closeSync(openSync(data.file, 'a'));
    return null;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? null;
  }
}

function open(): void {
  retryTimer = null;
  if (closing) return;
  try {
    mkdirSync(dirname(data.file), { recursive: true });
    const d = new Database(data.file);
    try {
      setupDatabase(d);
    } catch (err) {
      d.close();
      throw err;
    }
    db = d;
    insert = d.prepare(INSERT);
    const stmt = insert;
    insertMany = d.transaction((rows: unknown[][]) => {
      for (const r of rows) stmt.run(r);
    });
    post({ t: 'state', up: true });
    scheduleRetention(0);
  } catch (err) {
    fail(err);
  }
}

/** Handles a database error: a corrupt file is moved aside and a new one opened; anything else waits and retries. */
function fail(err: unknown): void {
  closeDb();
  if (isCorrupt(err)) {
    const aside = `${data.file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    try {
      renameSync(data.file, aside);
      for (const ext of ['-wal', '-shm']) if (existsSync(data.file + ext)) renameSync(data.file + ext, aside + ext);
      corrupt++;
      post({ t: 'corrupt', movedTo: aside, message: describe(err).message });
      open();
      return;
    } catch (moveErr) {
      post({ t: 'state', up: false, ...describe(moveErr) });
    }
  } else {
    post({ t: 'state', up: false, ...describe(err) });
  }
  if (!closing && retryTimer === null) retryTimer = setTimeout(open, RETRY_MS);
}

function closeDb(): void {
  if (retentionTimer !== null) clearTimeout(retentionTimer);
  retentionTimer = null;
  retentionRunning = false;
  try {
    db?.close();
  } catch {
    // already unusable
  }
  db = null;
  insert = null;
  insertMany = null;
}

function write(buf: Uint8Array, rows: number): void {
  if (insertMany === null) {
    post({ t: 'done', written: 0, lost: rows });
    return;
  }
  let records;
  try {
    records = decodeBatch(buf);
    insertMany(records.map(recordParams));
  } catch (err) {
    post({ t: 'done', written: 0, lost: rows });
    fail(err);
    return;
  }
  post({ t: 'done', written: records.length, lost: rows - records.length });
}

function scheduleRetention(ms: number): void {
  if (retentionTimer !== null || db === null || closing) return;
  retentionTimer = setTimeout(retentionStep, ms);
}

/**
 * One step of retention: deletes up to STEP_ROWS rows older than the retention, or the oldest
 * rows while the data is over maxSize, then gives the thread back (inserts go first) and
 * continues; once nothing is left to delete it frees pages and waits for the next round.
 */
function retentionStep(): void {
  retentionTimer = null;
  if (db === null) return;
  try {
    const cutoff = Date.now() - data.retentionMs;
    let n = db.prepare('DELETE FROM queries WHERE id IN (SELECT id FROM queries WHERE ts < ? ORDER BY ts LIMIT ?)').run(cutoff, STEP_ROWS).changes;
    const used = n === 0 ? usedBytes(db) : 0;
    if (used > data.maxSize * 0.95) {
      // Delete the share of rows the excess stands for (rows ≈ the span of ids: the oldest go first).
      const span = db.prepare('SELECT max(id) - min(id) + 1 AS n FROM queries').get() as { n: number | null };
      const excess = (used - data.maxSize * 0.9) / used;
      const rows = Math.min(STEP_ROWS, Math.max(100, Math.ceil((span.n ?? 0) * excess)));
      n = db.prepare('DELETE FROM queries WHERE id IN (SELECT id FROM queries ORDER BY id LIMIT ?)').run(rows).changes;
    }
    deleted += n;
    if (n > 0) {
      retentionRunning = true;
      db.pragma('incremental_vacuum(2000)');
      scheduleRetention(data.stepPauseMs);
    } else {
      if (retentionRunning) db.pragma('wal_checkpoint(TRUNCATE)');
      retentionRunning = false;
      scheduleRetention(data.retentionIntervalMs);
    }
    post({ t: 'stats', sizeBytes: fileBytes(), deleted, corrupt });
  } catch (err) {
    fail(err);
  }
}

/** Bytes held by live pages (the file may be larger until freed pages are returned). */
function usedBytes(d: Database.Database): number {
  const pageSize = d.pragma('page_size', { simple: true }) as number;
  const pages = d.pragma('page_count', { simple: true }) as number;
  const free = d.pragma('freelist_count', { simple: true }) as number;
  return (pages - free) * pageSize;
}

function fileBytes(): number {
  let n = 0;
  for (const f of [data.file, `${data.file}-wal`]) {
    try {
      n += statSync(f).size;
    } catch {
      // absent
    }
  }
  return n;
}

port.on('message', (m: ToWorker) => {
  switch (m.t) {
    case 'batch': write(m.buf, m.rows); break;
    case 'retention': if (retentionTimer !== null) { clearTimeout(retentionTimer); retentionTimer = null; } scheduleRetention(0); break;
    case 'close':
      closing = true;
      if (retryTimer !== null) clearTimeout(retryTimer);
      closeDb();
      post({ t: 'closed' });
      port.close();
      break;
  }
});

open();
