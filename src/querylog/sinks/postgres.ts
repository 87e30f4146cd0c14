import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import type { QueryLogPostgresConfig } from '../../config/types.js';
import type { MetricsSink } from '../../observability/metrics.js';
import { QueryLogError, QueryLogErrorCode } from '../errors.js';
import { COPY_COLUMNS, copyLine, maintainPartitions, migrate } from '../postgres/schema.js';
import { decodeBatch, type Batch } from '../record.js';
import type { QueryLogSink, SinkEnv, SinkHost } from './sink.js';

export interface PostgresSinkOptions {
  /** First reconnection delay, ms (default 1 s; doubles up to maxBackoffMs). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Partition upkeep interval, ms (default 10 min). */
  maintenanceMs?: number;
}

/**
 * `postgres`: rows collected from the batches and sent with one `COPY … FROM STDIN` every
 * `flushInterval` or every `batchRows` rows, whichever comes first, over one connection. The
 * schema is created or checked at every connection (a newer one is refused), day partitions are
 * created ahead and dropped past the retention. When the server is down, unreachable or refuses
 * the login, the sink reports itself down (records wait in the output's bounded queue, the oldest
 * dropped past it) and reconnects with a doubling back-off; a COPY that failed is sent again
 * after reconnecting (a COPY is all or nothing).
 */
export class PostgresSink implements QueryLogSink {
  readonly type = 'postgres';
  readonly #cfg: QueryLogPostgresConfig;
  readonly #host: SinkHost;
  readonly #env: SinkEnv;
  readonly #opts: Required<PostgresSinkOptions>;
  readonly #server = hostname();
  #client: pg.Client | null = null;
  #up = false;
  #closing = false;
  #pending: string[] = [];
  #copying: Promise<void> | null = null;
  /** A write() is waiting for the COPY in flight before it may end. */
  #owed = false;
  #backoff: number;
  #reconnect: NodeJS.Timeout | null = null;
  #flushTimer: NodeJS.Timeout | null = null;
  #maintTimer: NodeJS.Timeout | null = null;
  #partitionsDropped = 0;
  #copies = 0;

  constructor(cfg: QueryLogPostgresConfig, env: SinkEnv, opts: PostgresSinkOptions = {}) {
    this.#cfg = cfg;
    this.#host = env.host;
    this.#env = env;
    this.#opts = { backoffMs: opts.backoffMs ?? 1000, maxBackoffMs: opts.maxBackoffMs ?? 30_000, maintenanceMs: opts.maintenanceMs ?? 600_000 };
    this.#backoff = this.#opts.backoffMs;
    this.#flushTimer = setInterval(() => this.#flushIfIdle(), cfg.flushInterval * 1000);
    this.#flushTimer.unref();
    void this.#connect();
  }

  get up(): boolean {
    return this.#up;
  }

  write(batch: Batch): void {
    for (const r of decodeBatch(batch.buf)) this.#pending.push(copyLine(r, this.#server));
    if (this.#pending.length >= this.#cfg.batchRows && this.#copying === null) {
      this.#owed = true;
      void this.#copy();
    } else if (this.#pending.length >= this.#cfg.batchRows * 2) {
      this.#owed = true; // a COPY is in flight: take no more until it ends
    } else {
      this.#host.done(0, 0);
    }
  }

  #flushIfIdle(): void {
    if (this.#up && this.#copying === null && this.#pending.length > 0) void this.#copy();
  }

  #copy(): Promise<void> {
    const client = this.#client;
    if (client === null || !this.#up) {
      if (this.#owed) {
        this.#owed = false;
        this.#host.done(0, 0);
      }
      return Promise.resolve();
    }
    const lines = this.#pending;
    this.#pending = [];
    this.#copying = (async () => {
      try {
        await this.#copyLines(client, lines);
        this.#copies++;
        this.#host.report(lines.length, 0);
      } catch (err) {
        if ((err as { code?: string }).code === '23514' && !this.#closing) {
          // No partition for a row (the day turned, or a clock far off): make them and retry once.
          try {
            await maintainPartitions(client, this.#cfg.table, Date.now(), this.#env.retention * 1000);
            await this.#copyLines(client, lines);
            this.#host.report(lines.length, 0);
            return;
          } catch (again) {
            err = again;
          }
        }
        // Kept for the next connection, within twice the batch size (the oldest lost beyond it).
        this.#pending = lines.concat(this.#pending);
        const over = this.#pending.length - this.#cfg.batchRows * 2;
        if (over > 0) {
          this.#pending.splice(0, over);
          this.#host.report(0, over);
        }
        this.#lost(err);
      } finally {
        this.#copying = null;
        if (this.#owed) {
          this.#owed = false;
          this.#host.done(0, 0);
        }
      }
    })();
    return this.#copying;
  }

  #copyLines(client: pg.Client, lines: string[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const stream = client.query(copyStreams.from(`COPY ${this.#cfg.table} (${COPY_COLUMNS}) FROM STDIN`));
      stream.on('error', reject);
      stream.on('finish', () => resolve());
      stream.end(lines.join(''));
    });
  }

  async #connect(): Promise<void> {
    this.#reconnect = null;
    if (this.#closing) return;
    let client: pg.Client | null = null;
    try {
      const password = this.#cfg.passwordFile === null ? undefined : readFileSync(this.#cfg.passwordFile, 'utf8').replace(/\r?\n$/, '');
      client = new pg.Client({ connectionString: withPassword(this.#cfg.url, password), connectionTimeoutMillis: 5000, application_name: 'horizond', keepAlive: true });
      client.on('error', (err) => this.#lost(err));
      await client.connect();
      await migrate(client, this.#cfg.table);
      const dropped = await maintainPartitions(client, this.#cfg.table, Date.now(), this.#env.retention * 1000);
      this.#partitionsDropped += dropped.length;
      this.#client = client;
      this.#up = true;
      this.#backoff = this.#opts.backoffMs;
      this.#maintTimer ??= setInterval(() => void this.#maintain(), this.#opts.maintenanceMs);
      this.#maintTimer.unref();
      this.#host.state(true);
      this.#flushIfIdle();
    } catch (err) {
      await client?.end().catch(() => {});
      if (this.#client === client) this.#client = null;
      this.#lost(err);
    }
  }

  async #maintain(): Promise<void> {
    if (this.#client === null || !this.#up) return;
    try {
      this.#partitionsDropped += (await maintainPartitions(this.#client, this.#cfg.table, Date.now(), this.#env.retention * 1000)).length;
    } catch (err) {
      this.#lost(err);
    }
  }

  /** The connection failed or was lost: down, and try again after the back-off. */
  #lost(err: unknown): void {
    const wasUp = this.#up;
    this.#up = false;
    const old = this.#client;
    this.#client = null;
    if (old !== null) void old.end().catch(() => {});
    if (this.#closing) return;
    this.#host.state(false, describe(err, this.#cfg.url));
    if (this.#reconnect === null) {
      const wait = wasUp ? this.#opts.backoffMs : this.#backoff;
      this.#backoff = Math.min(this.#backoff * 2, this.#opts.maxBackoffMs);
      this.#reconnect = setTimeout(() => void this.#connect(), wait);
      this.#reconnect.unref();
    }
  }

  async close(): Promise<void> {
    if (this.#copying !== null) await this.#copying;
    if (this.#up && this.#pending.length > 0) await this.#copy();
    this.#closing = true;
    for (const timer of [this.#reconnect, this.#flushTimer]) if (timer !== null) clearTimeout(timer);
    if (this.#maintTimer !== null) clearInterval(this.#maintTimer);
    if (this.#pending.length > 0) this.#host.report(0, this.#pending.length);
    this.#pending = [];
    this.#up = false;
    const c = this.#client;
    this.#client = null;
    await c?.end().catch(() => {});
  }

  collect(sink: MetricsSink): void {
    sink.value('horizond_query_log_postgres_partitions_dropped_total', null, this.#partitionsDropped);
    sink.value('horizond_query_log_postgres_copies_total', null, this.#copies);
  }
}

/**
 * The URL with the password from passwordFile in it (pg lets the URL's fields override separate
 * options, so a password passed beside a URL without one would be lost).
 */
export function withPassword(url: string, password: string | undefined): string {
  if (password === undefined) return url;
  const u = new URL(url);
  u.password = encodeURIComponent(password);
  return u.href;
}

/** The URL without any password in it. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return `${u.host}${u.pathname}`;
  } catch {
    return 'the configured url';
  }
}

function describe(err: unknown, url: string): { code: string; message: string } {
  if (err instanceof QueryLogError) return { code: err.code, message: err.message };
  const e = err as { code?: string; message?: string };
  const code = e.code ?? QueryLogErrorCode.PostgresUnavailable;
  let why = e.message ?? String(err);
  if (code === '28P01') why = `login refused (wrong password?): ${why}`;
  else if (code === 'ECONNREFUSED') why = `connection refused (is PostgreSQL running?)`;
  return { code, message: `postgres: ${safeUrl(url)}: ${why}` };
}
