import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { QueryLogPostgresConfig } from '../../config/types.js';
import { QueryLogError, QueryLogErrorCode } from '../errors.js';
import type { QueryRecord } from '../record.js';
import {
  BLOCKED_SOURCES, compileFilter, decodeCursor, encodeCursor, pageLimit, unreverseName,
  type Aggregates, type CompiledFilter, type QueryLogReader, type SearchFilter, type SearchPage, type SearchResult,
} from '../search.js';
import { safeUrl, withPassword } from '../sinks/postgres.js';

/**
 * Searches the PostgreSQL query log with the same filters as the SQLite reader. Rows have no
 * id (replicas write the same table), so the cursor is the last row's time and how many rows of
 * that same instant were shown; the next page starts there.
 */

interface Row {
  ts_us: string;
  client: string;
  port: number;
  view: string | null;
  protocol: string;
  qname: string | null;
  qtype: number;
  rcode: number;
  source: string;
  upstream: string | null;
  duration_us: number;
  answers: string | null;
  translated: boolean;
  blocked_by: string | null;
  ede: number | null;
}

export class PostgresReader implements QueryLogReader {
  readonly #client: pg.Client;
  readonly #table: string;

  private constructor(client: pg.Client, table: string) {
    this.#client = client;
    this.#table = table;
  }

  static async open(cfg: QueryLogPostgresConfig): Promise<PostgresReader> {
    let password: string | undefined;
    try {
      password = cfg.passwordFile === null ? undefined : readFileSync(cfg.passwordFile, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new QueryLogError(QueryLogErrorCode.PostgresUnavailable, `query log: postgres: cannot read passwordFile: ${(err as Error).message}`);
    }
    const client = new pg.Client({ connectionString: withPassword(cfg.url, password), connectionTimeoutMillis: 5000, application_name: 'horizond log' });
    try {
      await client.connect();
      await client.query(`SELECT 1 FROM ${cfg.table} LIMIT 1`);
    } catch (err) {
      await client.end().catch(() => {});
      const e = err as { code?: string; message: string };
      const why = e.code === '28P01' ? `login refused (wrong password?): ${e.message}` : e.code === '42P01' ? `table ${cfg.table} does not exist yet (has a server with this sink run?)` : e.message;
      throw new QueryLogError(QueryLogErrorCode.PostgresUnavailable, `query log: postgres: ${safeUrl(cfg.url)}: ${why}`, { cause: err });
    }
    return new PostgresReader(client, cfg.table);
  }

  async search(filter: SearchFilter, page?: SearchPage): Promise<SearchResult> {
    const f = compileFilter(filter);
    const limit = pageLimit(page);
    const w = conditions(f);
    let offset = 0;
    if (page?.cursor) {
      // The cursor holds the last row's time (µs) and how many rows of that same time were shown.
      const c = decodeCursor(page.cursor);
      w.sql.push(`ts <= to_timestamp($${w.params.length + 1}::double precision / 1e6)`);
      w.params.push(c.ts);
      offset = Number(c.id);
    }
    const sql = `SELECT (extract(epoch FROM ts) * 1e6)::bigint::text AS ts_us, host(client) AS client, port, view, protocol, qname, qtype, rcode, source,
      upstream, duration_us, answers, translated, blocked_by, ede FROM ${this.#table} ${whereSql(w.sql)}
      ORDER BY ts DESC, client DESC, port DESC OFFSET ${offset} LIMIT ${limit + 1}`;
    const rows = (await this.#client.query<Row>(sql, w.params)).rows;
    const more = rows.length > limit;
    if (more) rows.length = limit;
    let next: string | null = null;
    if (more) {
      const last = rows.at(-1)!;
      let same = 0;
      for (const r of rows) if (r.ts_us === last.ts_us) same++;
      if (page?.cursor && decodeCursor(page.cursor).ts === Number(last.ts_us)) same += offset;
      next = encodeCursor(Number(last.ts_us), same);
    }
    return { records: rows.map(toRecord), next };
  }

  async aggregate(filter: SearchFilter, top = 10): Promise<Aggregates> {
    const to = filter.to ?? Date.now();
    const from = filter.from ?? to - 86_400_000;
    const f = compileFilter({ ...filter, from, to });
    const w = conditions(f);
    const where = whereSql(w.sql);
    const and = (extra: string): string => whereSql([...w.sql, extra]);
    const q = async <T extends pg.QueryResultRow>(sql: string): Promise<T[]> => (await this.#client.query<T>(sql, w.params)).rows;
    const blocked = `source IN (${BLOCKED_SOURCES.map((s) => `'${s}'`).join(', ')})`;
    const t = this.#table;
    const perMinute = (await q<{ minute: string; count: string }>(`SELECT (extract(epoch FROM date_trunc('minute', ts)) * 1000)::bigint::text AS minute, count(*)::text AS count FROM ${t} ${where} GROUP BY 1 ORDER BY 1`))
      .map((r) => ({ minute: Number(r.minute), count: Number(r.count) }));
    const n = (rows: { count: string }[]): number[] => rows.map((r) => Number(r.count));
    const sources = await q<{ source: string; count: string }>(`SELECT source, count(*)::text AS count FROM ${t} ${where} GROUP BY source ORDER BY count(*) DESC`);
    const names = await q<{ rname: string; count: string }>(`SELECT rname, count(*)::text AS count FROM ${t} ${and('rname IS NOT NULL')} GROUP BY rname ORDER BY count(*) DESC LIMIT ${top}`);
    const clients = await q<{ client: string; count: string }>(`SELECT host(client) AS client, count(*)::text AS count FROM ${t} ${where} GROUP BY client ORDER BY count(*) DESC LIMIT ${top}`);
    const blockedNames = await q<{ rname: string; count: string }>(`SELECT rname, count(*)::text AS count FROM ${t} ${and(`${blocked} AND rname IS NOT NULL`)} GROUP BY rname ORDER BY count(*) DESC LIMIT ${top}`);
    const ups = await q<{ upstream: string; count: string; avg: string; max: string }>(`SELECT upstream, count(*)::text AS count, avg(duration_us)::text AS avg, max(duration_us)::text AS max FROM ${t} ${and('upstream IS NOT NULL')} GROUP BY upstream ORDER BY avg(duration_us) DESC LIMIT ${top}`);
    const slow = await q<{ ts_ms: string; qname: string | null; upstream: string; duration_us: number }>(`SELECT (extract(epoch FROM ts) * 1000)::bigint::text AS ts_ms, qname, upstream, duration_us FROM ${t} ${and('upstream IS NOT NULL')} ORDER BY duration_us DESC LIMIT ${top}`);
    const counts = n(sources);
    return {
      from, to,
      total: counts.reduce((a, b) => a + b, 0),
      perMinute,
      sources: sources.map((s, i) => ({ source: s.source, count: counts[i]! })),
      topNames: names.map((r) => ({ name: unreverseName(r.rname), count: Number(r.count) })),
      topClients: clients.map((r) => ({ client: r.client, count: Number(r.count) })),
      topBlocked: blockedNames.map((r) => ({ name: unreverseName(r.rname), count: Number(r.count) })),
      upstreams: ups.map((u) => ({ upstream: u.upstream, count: Number(u.count), avgMs: Math.round(Number(u.avg)) / 1000, maxMs: Number(u.max) / 1000 })),
      slowest: slow.map((r) => ({ time: Number(r.ts_ms), name: r.qname, upstream: r.upstream, durationMs: r.duration_us / 1000 })),
    };
  }

  async close(): Promise<void> {
    await this.#client.end();
  }
}

function whereSql(parts: string[]): string {
  return parts.length === 0 ? '' : `WHERE ${parts.join(' AND ')}`;
}

function conditions(f: CompiledFilter): { sql: string[]; params: unknown[] } {
  const sql: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown): string => { params.push(v); return `$${params.length}`; };
  if (f.from !== null) sql.push(`ts >= to_timestamp(${p(f.from)}::double precision / 1000)`);
  if (f.to !== null) sql.push(`ts < to_timestamp(${p(f.to)}::double precision / 1000)`);
  if (f.client !== null) sql.push(f.client.exact ? `client = ${p(f.client.text.split('/')[0])}::inet` : `client <<= ${p(f.client.text)}::inet`);
  if (f.name !== null) {
    if (f.name.match === 'exact') sql.push(`rname = ${p(f.name.rname)}`);
    else if (f.name.match === 'suffix') sql.push(`rname >= ${p(f.name.rname)} AND rname < ${p(f.name.upper)}`);
    else sql.push(`qname ILIKE ${p(`%${f.name.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)}`);
  }
  if (f.qtype !== null) sql.push(`qtype = ${p(f.qtype)}`);
  if (f.rcode !== null) sql.push(`rcode = ${p(f.rcode)}`);
  if (f.source !== null) sql.push(`source = ${p(f.source)}`);
  if (f.view !== null) sql.push(`view = ${p(f.view)}`);
  if (f.blocked) sql.push(`source IN (${BLOCKED_SOURCES.map((s) => `'${s}'`).join(', ')})`);
  return { sql, params };
}

function toRecord(r: Row): QueryRecord {
  return {
    time: Math.floor(Number(r.ts_us) / 1000),
    client: r.client,
    port: r.port,
    view: r.view,
    protocol: r.protocol === 'tcp' ? 'tcp' : 'udp',
    qname: r.qname,
    qtype: r.qtype,
    rcode: r.rcode,
    source: r.source,
    upstream: r.upstream,
    durationMs: r.duration_us / 1000,
    answers: r.answers === null ? [] : r.answers.split(' '),
    translated: r.translated,
    blockedBy: r.blocked_by,
    ede: r.ede,
  };
}
