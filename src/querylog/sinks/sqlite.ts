import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { QueryLogSqliteConfig } from '../../config/types.js';
import type { MetricsSink } from '../../observability/metrics.js';
import { QueryLogErrorCode } from '../errors.js';
import type { Batch } from '../record.js';
import type { FromWorker, SqliteWorkerData, ToWorker } from '../sqlite/messages.js';
import type { QueryLogSink, SinkEnv, SinkHost } from './sink.js';

/** The database file of a sqlite sink: `file`, or querylog.sqlite in the data directory. */
export function sqliteFile(cfg: QueryLogSqliteConfig, dataDir: string): string {
  return cfg.file ?? join(dataDir, 'querylog.sqlite');
}

export interface SqliteSinkOptions {
  /** Pause between retention rounds, ms (default 60 s). */
  retentionIntervalMs?: number;
  /** Pause before reopening an unusable file, ms (default 5 s). */
  retryMs?: number;
}

/**
 * `sqlite`: the embedded default. Batches go to a worker thread that owns the file
 * (sqlite/worker.ts); this side only posts them and follows the worker's reports. Until the
 * worker says the file is open, and whenever it reports it unusable, `up` is false and batches
 * wait in the output's bounded queue.
 */
export class SqliteSink implements QueryLogSink {
  readonly type = 'sqlite';
  readonly file: string;
  #up = false;
  readonly #host: SinkHost;
  readonly #env: SinkEnv;
  readonly #worker: Worker;
  #busy = false;
  #closed: Promise<void> | null = null;
  #sizeBytes = 0;
  #deleted = 0;
  #corrupt = 0;

  constructor(cfg: QueryLogSqliteConfig, env: SinkEnv, opts: SqliteSinkOptions = {}) {
    this.#host = env.host;
    this.#env = env;
    this.file = sqliteFile(cfg, env.dataDir);
    const data: SqliteWorkerData = {
      file: this.file,
      maxSize: cfg.maxSize,
      retentionMs: env.retention * 1000,
      retentionIntervalMs: opts.retentionIntervalMs ?? 60_000,
      stepPauseMs: 20,
      retryMs: opts.retryMs ?? 5000,
    };
    this.#worker = new Worker(workerUrl(), { workerData: data });
    this.#worker.unref();
    this.#worker.on('message', (m: FromWorker) => this.#onMessage(m));
    this.#worker.on('error', (err) => {
      this.#up = false;
      this.#host.state(false, { code: QueryLogErrorCode.SqliteUnavailable, message: `sqlite: writer thread failed: ${err.message}` });
    });
    this.#worker.on('exit', () => {
      this.#up = false;
      if (this.#busy) { this.#busy = false; this.#host.done(0, 0); }
    });
  }

  get up(): boolean {
    return this.#up;
  }

  write(batch: Batch): void {
    this.#busy = true;
    const m: ToWorker = { t: 'batch', buf: batch.buf, rows: batch.rows };
    this.#worker.postMessage(m);
  }

  /** Starts a retention round now. */
  runRetention(): void {
    this.#worker.postMessage({ t: 'retention' } satisfies ToWorker);
  }

  #onMessage(m: FromWorker): void {
    switch (m.t) {
      case 'done': this.#busy = false; this.#host.done(m.written, m.lost); break;
      case 'state':
        this.#up = m.up;
        if (m.up) this.#host.state(true);
        else this.#host.state(false, { code: m.code ?? QueryLogErrorCode.SqliteUnavailable, message: m.message ?? 'sqlite: unavailable' });
        break;
      case 'corrupt':
        this.#corrupt++;
        this.#env.log.warn({ sink: 'sqlite', movedTo: m.movedTo, code: QueryLogErrorCode.SqliteCorrupt }, `query log: ${m.message}; moved it aside to ${m.movedTo} and started a new file`);
        break;
      case 'stats': this.#sizeBytes = m.sizeBytes; this.#deleted = m.deleted; break;
      case 'closed': void this.#worker.terminate(); break;
    }
  }

  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      this.#worker.once('exit', () => resolve());
      // The worker closes the database and says so; then it is ended (a stuck one after 10 s).
      this.#worker.postMessage({ t: 'close' } satisfies ToWorker);
      setTimeout(() => void this.#worker.terminate(), 10_000).unref();
    });
    return this.#closed;
  }

  collect(sink: MetricsSink): void {
    sink.value('horizond_query_log_sqlite_size_bytes', null, this.#sizeBytes);
    sink.value('horizond_query_log_retention_deleted_total', { sink: 'sqlite' }, this.#deleted);
    sink.value('horizond_query_log_sqlite_corrupt_files_total', null, this.#corrupt);
  }
}

/** The writer thread's module: compiled JS next to this file, or the TypeScript source when run from src/ (tests). */
function workerUrl(): URL {
  const js = new URL('../sqlite/worker.js', import.meta.url);
  return existsSync(js) ? js : new URL('../sqlite/worker.ts', import.meta.url);
}
