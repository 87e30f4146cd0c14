import { parseDuration } from '../config/units.js';
import { rcodeToString, typeFromString } from '../wire/constants.js';
import { QueryLogError, QueryLogErrorCode } from './errors.js';
import type { QueryRecord } from './record.js';
import { clientRange, reverseName } from './sqlite/schema.js';

/**
 * The query-log search: one module for the CLI (`horizond log search|top`) and the web console.
 * A `SearchFilter` is what a person asks ("the last hour, 192.168.1.0/24, under example.com,
 * blocked only"); `compileFilter` checks it once and turns it into the ranges and keys every
 * reader (SQLite, PostgreSQL) uses, so both stores answer the same question the same way.
 */

export type NameMatch = 'exact' | 'suffix' | 'substring';

export interface SearchFilter {
  /** Start of the time range, ms since the epoch (inclusive). */
  from?: number;
  /** End of the time range, ms since the epoch (exclusive). */
  to?: number;
  /** An address (`192.168.1.10`) or a prefix (`192.168.1.0/24`, `fd00::/8`). */
  client?: string;
  name?: string;
  /** How `name` matches: the name and everything under it (default), exactly, or anywhere in the name. */
  nameMatch?: NameMatch;
  /** A type name (`AAAA`, `TYPE65`) or number. */
  qtype?: string | number;
  /** A response code name (`NXDOMAIN`) or number. */
  rcode?: string | number;
  /** Answer source: authoritative, cache, stale, upstream, local, refused, blocked, blocklist… */
  source?: string;
  view?: string;
  /** Only answers blocked by a list or the rebinding filter (sources `blocklist` and `blocked`). */
  blocked?: boolean;
}

/** A filter checked and reduced to what the stores compare. */
export interface CompiledFilter {
  from: number | null;
  to: number | null;
  client: { lo: Buffer; hi: Buffer; exact: boolean; text: string } | null;
  /** exact/suffix: the reversed name and, for suffix, the exclusive upper bound of its range. */
  name: { match: NameMatch; rname: string; upper: string; text: string } | null;
  qtype: number | null;
  rcode: number | null;
  source: string | null;
  view: string | null;
  blocked: boolean;
}

export const SOURCES = ['authoritative', 'cache', 'stale', 'upstream', 'local', 'refused', 'error', 'update', 'blocked', 'blocklist'] as const;
export const BLOCKED_SOURCES = ['blocklist', 'blocked'] as const;

function rcodeFromString(s: string): number | undefined {
  for (let r = 0; r < 24; r++) if (rcodeToString(r) === s) return r;
  const m = /^RCODE(\d{1,4})$/.exec(s);
  return m === null ? undefined : Number(m[1]);
}

function bad(message: string): QueryLogError {
  return new QueryLogError(QueryLogErrorCode.BadFilter, `query log: ${message}`);
}

export function compileFilter(f: SearchFilter): CompiledFilter {
  if (f.from !== undefined && !Number.isFinite(f.from)) throw bad('the start of the time range is not a time');
  if (f.to !== undefined && !Number.isFinite(f.to)) throw bad('the end of the time range is not a time');
  if (f.from !== undefined && f.to !== undefined && f.from >= f.to) throw bad('the time range ends before it starts');
  let client: CompiledFilter['client'] = null;
  if (f.client !== undefined && f.client !== '') {
    const r = clientRange(f.client.trim());
    client = { ...r, exact: r.lo.equals(r.hi), text: f.client.trim() };
  }
  let name: CompiledFilter['name'] = null;
  if (f.name !== undefined && f.name !== '') {
    const match = f.nameMatch ?? 'suffix';
    if (!['exact', 'suffix', 'substring'].includes(match)) throw bad(`name match "${match}" is not one of exact, suffix, substring`);
    const text = f.name.trim().toLowerCase();
    if (match !== 'substring' && (/\s|\.\./.test(text) || text.length > 254)) throw bad(`"${f.name}" is not a domain name`);
    const rname = reverseName(text === '.' ? '.' : text);
    // Every name under `rname` starts with it and sorts below it with its final '.' replaced by '/'.
    const upper = rname === '.' ? '\u{10ffff}' : rname.slice(0, -1) + '/';
    name = { match, rname, upper, text };
  }
  let qtype: number | null = null;
  if (f.qtype !== undefined && f.qtype !== '') {
    qtype = typeof f.qtype === 'number' ? f.qtype : /^\d+$/.test(f.qtype) ? Number(f.qtype) : typeFromString(f.qtype.toUpperCase()) ?? -1;
    if (!Number.isInteger(qtype) || qtype < 0 || qtype > 65535) throw bad(`"${f.qtype}" is not a record type (A, AAAA, MX, TYPE65…)`);
  }
  let rcode: number | null = null;
  if (f.rcode !== undefined && f.rcode !== '') {
    rcode = typeof f.rcode === 'number' ? f.rcode : /^\d+$/.test(f.rcode) ? Number(f.rcode) : rcodeFromString(f.rcode.toUpperCase()) ?? -1;
    if (!Number.isInteger(rcode) || rcode < 0 || rcode > 4095) throw bad(`"${f.rcode}" is not a response code (NOERROR, NXDOMAIN, SERVFAIL, REFUSED…)`);
  }
  let source: string | null = null;
  if (f.source !== undefined && f.source !== '') {
    source = f.source.toLowerCase();
    if (!(SOURCES as readonly string[]).includes(source)) throw bad(`"${f.source}" is not an answer source (${SOURCES.join(', ')})`);
  }
  return {
    from: f.from ?? null, to: f.to ?? null, client, name, qtype, rcode, source,
    view: f.view === undefined || f.view === '' ? null : f.view, blocked: f.blocked === true,
  };
}

/**
 * A time as the CLI takes it: a duration back from now (`90s`, `1h`, `7d`), an ISO 8601 time
 * (`2024-07-01T12:00:00Z`, `2024-07-01`) or seconds since the epoch.
 */
export function parseTime(text: string, now = Date.now()): number {
  const t = text.trim();
  if (/^\d{9,}(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const d = parseDuration(t);
  if (d !== undefined) return now - d * 1000;
  if (/^\d{4}-\d\d-\d\d/.test(t)) {
    const ms = Date.parse(t);
    if (Number.isFinite(ms)) return ms;
  }
  throw bad(`"${text}" is not a time: use a duration back from now (30m, 1h, 7d), an ISO 8601 time (2024-07-01T12:00:00Z) or Unix seconds`);
}

export interface SearchPage {
  /** Rows per page (1..10,000; default 50). */
  limit?: number;
  /** From a previous result's `next`: the page after it. */
  cursor?: string | null;
}

export interface SearchResult {
  /** Newest first. */
  records: QueryRecord[];
  /** Pass as `cursor` for the next (older) page; null when there is none. */
  next: string | null;
}

export interface Aggregates {
  from: number;
  to: number;
  total: number;
  /** Queries per minute, oldest first (minutes with none are left out). */
  perMinute: { minute: number; count: number }[];
  sources: { source: string; count: number }[];
  topNames: { name: string; count: number }[];
  topClients: { client: string; count: number }[];
  topBlocked: { name: string; count: number }[];
  /** Forwarded answers per upstream: how many, mean and slowest time. */
  upstreams: { upstream: string; count: number; avgMs: number; maxMs: number }[];
  /** The slowest forwarded answers of the window. */
  slowest: { time: number; name: string | null; upstream: string; durationMs: number }[];
}

/** A store the search reads: the SQLite file or the PostgreSQL table. */
export interface QueryLogReader {
  search(filter: SearchFilter, page?: SearchPage): Promise<SearchResult>;
  /** Aggregates over a window (`filter.from`/`to`, default the last 24 h) of the rows the filter matches. */
  aggregate(filter: SearchFilter, top?: number): Promise<Aggregates>;
  close(): Promise<void>;
}

export function pageLimit(page: SearchPage | undefined): number {
  const n = page?.limit ?? 50;
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw bad('the page size must be 1..10000');
  return n;
}

/** The position after the last row of a page: time and row id. */
export function encodeCursor(ts: number, id: number | bigint | string): string {
  return Buffer.from(`${ts}:${id}`).toString('base64url');
}

export function decodeCursor(cursor: string): { ts: number; id: string } {
  const m = /^(\d+):(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (m === null) throw bad('the page cursor is not one this search gave');
  return { ts: Number(m[1]), id: m[2]! };
}

/** `com.example.www.` → `www.example.com.` */
export function unreverseName(rname: string): string {
  if (rname === '.' || rname === '') return '.';
  return rname.slice(0, -1).split('.').reverse().join('.') + '.';
}
