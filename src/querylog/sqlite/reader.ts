import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { QueryLogError, QueryLogErrorCode } from '../errors.js';
import type { QueryRecord } from '../record.js';
import {
  BLOCKED_SOURCES, compileFilter, decodeCursor, encodeCursor, pageLimit, unreverseName,
  type Aggregates, type CompiledFilter, type QueryLogReader, type SearchFilter, type SearchPage, type SearchResult,
} from '../search.js';

/**
 * Searches the SQLite query log (read-only; the daemon may be writing it at the same time, WAL
 * lets both). Newest first, paged by a (time, id) cursor.
 *
 * The plan is chosen here rather than left to chance: a client prefix or a name suffix is first
 * counted through its own index, up to PROBE rows. Fewer matches than that: read them through
 * that index and sort them (at most PROBE rows). More: they are common, so walking the time index
 * from the newest row finds a page of them quickly. Either way a page costs at most about PROBE
 * index entries, however many rows the file holds.
 */

const PROBE = 20_000;

interface Row {
  id: number;
  ts: number;
  client_text: string;
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
  translated: number;
  blocked_by: string | null;
  ede: number | null;
}

export class SqliteReader implements QueryLogReader {
  readonly #db: Database.Database;

  constructor(file: string) {
    if (!existsSync(file)) throw new QueryLogError(QueryLogErrorCode.NoSink, `query log: ${file} does not exist (is the sqlite sink on, and has the server answered anything yet?)`);
    try {
      this.#db = new Database(file, { readonly: true, fileMustExist: true });
      this.#db.pragma('busy_timeout = 5000');
      this.#db.prepare('SELECT 1 FROM queries LIMIT 1').get();
    } catch (err) {
      throw new QueryLogError(QueryLogErrorCode.SqliteUnavailable, `query log: cannot read ${file}: ${(err as Error).message}`, { cause: err });
    }
  }

  async search(filter: SearchFilter, page?: SearchPage): Promise<SearchResult> {
    return this.searchSync(filter, page);
  }

  searchSync(filter: SearchFilter, page?: SearchPage): SearchResult {
    const f = compileFilter(filter);
    const limit = pageLimit(page);
    const w = conditions(f, true, true);
    if (page?.cursor) {
      const c = decodeCursor(page.cursor);
      w.sql.push('(ts < ? OR (ts = ? AND id < ?))');
      w.params.push(c.ts, c.ts, Number(c.id));
    }
    const index = this.#chooseIndex(f);
    // When every condition is on the chosen index's columns (and time), find the page's ids in
    // the index alone and read only those rows: a suffix or prefix matching thousands of rows
    // then costs an index range and a sort of ids, not thousands of table lookups.
    const indexOnly = f.qtype === null && f.rcode === null && f.source === null && f.view === null && !f.blocked
      && ((index === 'queries_rname' && f.client === null && f.name?.match !== 'substring') || (index === 'queries_client' && f.name === null));
    const sql = indexOnly
      ? `SELECT * FROM queries WHERE id IN (SELECT id FROM queries INDEXED BY ${index} ${whereSql(w.sql)} ORDER BY ts DESC, id DESC LIMIT ?) ORDER BY ts DESC, id DESC`
      : `SELECT * FROM queries INDEXED BY ${index} ${whereSql(w.sql)} ORDER BY ts DESC, id DESC LIMIT ?`;
    const rows = this.#db.prepare(sql).all(...w.params, limit + 1) as Row[];
    const more = rows.length > limit;
    if (more) rows.length = limit;
    const last = rows.at(-1);
    return { records: rows.map(toRecord), next: more && last !== undefined ? encodeCursor(last.ts, last.id) : null };
  }

  /** The index a page is read through (see the class comment). */
  #chooseIndex(f: CompiledFilter): string {
    const candidates: { index: string; count: number }[] = [];
    const time = conditions({ ...f, client: null, name: null, qtype: null, rcode: null, source: null, view: null, blocked: false }, false, false);
    if (f.client !== null) {
      if (f.client.exact) return 'queries_client';
      candidates.push({ index: 'queries_client', count: this.#probe('queries_client', ['client BETWEEN ? AND ?', ...time.sql], [f.client.lo, f.client.hi, ...time.params]) });
    }
    if (f.name !== null && f.name.match !== 'substring') {
      if (f.name.match === 'exact') return 'queries_rname';
      candidates.push({ index: 'queries_rname', count: this.#probe('queries_rname', ['rname >= ? AND rname < ?', ...time.sql], [f.name.rname, f.name.upper, ...time.params]) });
    }
    candidates.sort((a, b) => a.count - b.count);
    const best = candidates[0];
    return best !== undefined && best.count < PROBE ? best.index : 'queries_ts';
  }

  #probe(index: string, where: string[], params: unknown[]): number {
    const sql = `SELECT count(*) AS n FROM (SELECT 1 FROM queries INDEXED BY ${index} ${whereSql(where)} LIMIT ${PROBE})`;
    return (this.#db.prepare(sql).get(...params) as { n: number }).n;
  }

  async aggregate(filter: SearchFilter, top = 10): Promise<Aggregates> {
    return this.aggregateSync(filter, top);
  }

  aggregateSync(filter: SearchFilter, top = 10): Aggregates {
    const to = filter.to ?? Date.now();
    const from = filter.from ?? to - 86_400_000;
    const f = compileFilter({ ...filter, from, to });
    const w = conditions(f, true, true);
    const where = whereSql(w.sql);
    const and = (extra: string): string => whereSql([...w.sql, extra]);
    const all = <T>(sql: string, ...extra: unknown[]): T[] => this.#db.prepare(sql).all(...w.params, ...extra) as T[];
    const perMinute = all<{ minute: number; count: number }>(`SELECT (ts / 60000) * 60000 AS minute, count(*) AS count FROM queries ${where} GROUP BY ts / 60000 ORDER BY minute`);
    const blocked = `source IN (${BLOCKED_SOURCES.map((s) => `'${s}'`).join(', ')})`;
    const ups = all<{ upstream: string; count: number; avg: number; max: number }>(
      `SELECT upstream, count(*) AS count, avg(duration_us) AS avg, max(duration_us) AS max FROM queries ${and('upstream IS NOT NULL')} GROUP BY upstream ORDER BY avg DESC LIMIT ?`, top);
    return {
      from, to,
      total: perMinute.reduce((n, m) => n + m.count, 0),
      perMinute,
      sources: all<{ source: string; count: number }>(`SELECT source, count(*) AS count FROM queries ${where} GROUP BY source ORDER BY count DESC`),
      topNames: all<{ rname: string; count: number }>(`SELECT rname, count(*) AS count FROM queries ${and('rname IS NOT NULL')} GROUP BY rname ORDER BY count DESC LIMIT ?`, top)
        .map((r) => ({ name: unreverseName(r.rname), count: r.count })),
      topClients: all<{ client: string; count: number }>(`SELECT client_text AS client, count(*) AS count FROM queries ${where} GROUP BY client ORDER BY count DESC LIMIT ?`, top),
      topBlocked: all<{ rname: string; count: number }>(`SELECT rname, count(*) AS count FROM queries ${and(`${blocked} AND rname IS NOT NULL`)} GROUP BY rname ORDER BY count DESC LIMIT ?`, top)
        .map((r) => ({ name: unreverseName(r.rname), count: r.count })),
      upstreams: ups.map((u) => ({ upstream: u.upstream, count: u.count, avgMs: Math.round(u.avg) / 1000, maxMs: u.max / 1000 })),
      slowest: all<{ ts: number; qname: string | null; upstream: string; duration_us: number }>(
        `SELECT ts, qname, upstream, duration_us FROM queries ${and('upstream IS NOT NULL')} ORDER BY duration_us DESC LIMIT ?`, top)
        .map((r) => ({ time: r.ts, name: r.qname, upstream: r.upstream, durationMs: r.duration_us / 1000 })),
    };
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}

function whereSql(parts: string[]): string {
  return parts.length === 0 ? '' : `WHERE ${parts.join(' AND ')}`;
}

/** SQL conditions and parameters of a filter (client and name included when asked). */
function conditions(f: CompiledFilter, withClient: boolean, withName: boolean): { sql: string[]; params: unknown[] } {
  const sql: string[] = [];
  const params: unknown[] = [];
  if (f.from !== null) { sql.push('ts >= ?'); params.push(Math.floor(f.from)); }
  if (f.to !== null) { sql.push('ts < ?'); params.push(Math.ceil(f.to)); }
  if (withClient && f.client !== null) {
    if (f.client.exact) { sql.push('client = ?'); params.push(f.client.lo); } else { sql.push('client BETWEEN ? AND ?'); params.push(f.client.lo, f.client.hi); }
  }
  if (withName && f.name !== null) {
    if (f.name.match === 'exact') { sql.push('rname = ?'); params.push(f.name.rname); }
    else if (f.name.match === 'suffix') { sql.push('rname >= ? AND rname < ?'); params.push(f.name.rname, f.name.upper); }
    else { sql.push("qname LIKE ? ESCAPE '\\'"); params.push(`%${f.name.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`); }
  }
  if (f.qtype !== null) { sql.push('qtype = ?'); params.push(f.qtype); }
  if (f.rcode !== null) { sql.push('rcode = ?'); params.push(f.rcode); }
  if (f.source !== null) { sql.push('source = ?'); params.push(f.source); }
  if (f.view !== null) { sql.push('view = ?'); params.push(f.view); }
  if (f.blocked) sql.push(`source IN (${BLOCKED_SOURCES.map((s) => `'${s}'`).join(', ')})`);
  return { sql, params };
}

function toRecord(r: Row): QueryRecord {
  return {
    time: r.ts,
    client: r.client_text,
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
    translated: r.translated === 1,
    blockedBy: r.blocked_by,
    ede: r.ede,
  };
}
