import type { Config, QueryLogSqliteConfig } from '../config/types.js';
import { PostgresReader } from './postgres/reader.js';
import { rcodeToString, typeToString } from '../wire/constants.js';
import { QueryLogError, QueryLogErrorCode } from './errors.js';
import { parseTime, type Aggregates, type NameMatch, type QueryLogReader, type SearchFilter, type SearchResult } from './search.js';
import { sqliteFile } from './sinks/sqlite.js';
import { SqliteReader } from './sqlite/reader.js';

/**
 * `horizond log search|top`: reads the query log of the configured sink (SQLite, or the one
 * named with --sink) through the search module. A bad option is a clear message and exit 2; a
 * bad filter or an unreadable store a clear message and exit 1.
 */

export const LOG_USAGE = `  horizond log search [--since 1h] [--until TIME] [--client ADDR|PREFIX] [--name NAME]
                      [--match suffix|exact|substring] [--type A] [--rcode NXDOMAIN]
                      [--source blocklist] [--view lan] [--blocked] [--limit 50]
                      [--cursor C] [--json] [--sink sqlite|postgres] [--config FILE]
  horizond log top [--since 24h] [--until TIME] [--limit 10] [--json] [--sink sqlite|postgres] [--config FILE]`;

export class LogUsageError extends Error {}

export interface LogArgs {
  command: 'search' | 'top';
  filter: SearchFilter;
  limit: number | undefined;
  cursor: string | null;
  json: boolean;
  sink: string | null;
}

const VALUE_FLAGS = new Set(['--since', '--until', '--client', '--name', '--match', '--type', '--rcode', '--source', '--view', '--limit', '--cursor', '--sink']);

/** Parses the words after `log` (the caller has taken out --config). */
export function parseLogArgs(words: string[], now = Date.now()): LogArgs {
  const command = words[0];
  if (command !== 'search' && command !== 'top') throw new LogUsageError(`log: expected "search" or "top", got ${command === undefined ? 'nothing' : `"${command}"`}`);
  const v: Record<string, string> = {};
  let json = false;
  let blocked = false;
  for (let i = 1; i < words.length; i++) {
    let w = words[i]!;
    let value: string | undefined;
    const eq = w.indexOf('=');
    if (w.startsWith('--') && eq > 0) { value = w.slice(eq + 1); w = w.slice(0, eq); }
    if (w === '--json') json = true;
    else if (w === '--blocked') blocked = true;
    else if (VALUE_FLAGS.has(w)) {
      value ??= words[++i];
      if (value === undefined) throw new LogUsageError(`log ${command}: ${w} needs a value`);
      v[w.slice(2)] = value;
    } else throw new LogUsageError(`log ${command}: unknown option ${w}`);
  }
  if (command === 'top') {
    for (const k of ['client', 'name', 'match', 'type', 'rcode', 'source', 'view', 'cursor']) {
      if (v[k] !== undefined) throw new LogUsageError(`log top: --${k} is only for log search`);
    }
  }
  let limit: number | undefined;
  if (v.limit !== undefined) {
    if (!/^\d+$/.test(v.limit) || Number(v.limit) < 1 || Number(v.limit) > 10_000) throw new QueryLogError(QueryLogErrorCode.BadFilter, `query log: --limit must be 1..10000, not "${v.limit}"`);
    limit = Number(v.limit);
  }
  const since = v.since ?? (command === 'top' ? '24h' : undefined);
  const filter: SearchFilter = {
    ...(since !== undefined ? { from: parseTime(since, now) } : {}),
    ...(v.until !== undefined ? { to: parseTime(v.until, now) } : {}),
    ...(v.client !== undefined ? { client: v.client } : {}),
    ...(v.name !== undefined ? { name: v.name } : {}),
    ...(v.match !== undefined ? { nameMatch: v.match as NameMatch } : {}),
    ...(v.type !== undefined ? { qtype: v.type } : {}),
    ...(v.rcode !== undefined ? { rcode: v.rcode } : {}),
    ...(v.source !== undefined ? { source: v.source } : {}),
    ...(v.view !== undefined ? { view: v.view } : {}),
    ...(blocked ? { blocked } : {}),
  };
  return { command, filter, limit, cursor: v.cursor ?? null, json, sink: v.sink ?? null };
}

/** The reader of the configured sink (the first searchable one, or the one named). */
export async function openReader(config: Config, sink: string | null): Promise<QueryLogReader> {
  const searchable = config.queryLog.sinks.filter((s) => s.type === 'sqlite' || s.type === 'postgres');
  const chosen = sink === null ? searchable[0] : searchable.find((s) => s.type === sink);
  if (chosen === undefined) {
    const what = sink === null ? 'no searchable sink (sqlite or postgres) is configured in queryLog.sinks' : `no "${sink}" sink is configured in queryLog.sinks`;
    throw new QueryLogError(QueryLogErrorCode.NoSink, `query log: ${what}`);
  }
  if (chosen.type === 'postgres') return PostgresReader.open(chosen);
  return new SqliteReader(sqliteFile(chosen as QueryLogSqliteConfig, config.server.dataDir));
}

/** Runs `log search|top`; returns the exit code. */
export async function runLog(args: LogArgs, config: Config, out: (s: string) => void): Promise<number> {
  const reader = await openReader(config, args.sink);
  try {
    if (args.command === 'search') {
      const res = await reader.search(args.filter, { ...(args.limit !== undefined ? { limit: args.limit } : {}), cursor: args.cursor });
      out(args.json ? `${JSON.stringify(res)}\n` : formatSearch(res));
    } else {
      const agg = await reader.aggregate(args.filter, args.limit ?? 10);
      out(args.json ? `${JSON.stringify(agg)}\n` : formatTop(agg));
    }
    return 0;
  } finally {
    await reader.close();
  }
}

function time(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** One line per answer, newest first, then how to get the next page. */
export function formatSearch(res: SearchResult): string {
  const rows = res.records.map((r) => [
    time(r.time), r.client, r.view ?? '-', r.qname === null ? '-' : typeToString(r.qtype), r.qname ?? '-', rcodeToString(r.rcode),
    r.source + (r.blockedBy !== null ? `(${r.blockedBy})` : ''), `${r.durationMs.toFixed(2)}ms`,
    r.answers.join(',') + (r.translated ? ' (translated)' : '') + (r.upstream !== null ? ` via ${r.upstream}` : ''),
  ]);
  const head = ['TIME (UTC)', 'CLIENT', 'VIEW', 'TYPE', 'NAME', 'RCODE', 'SOURCE', 'TIME', 'ANSWER'];
  let text = table([head, ...rows]);
  if (res.records.length === 0) text = 'no queries match\n';
  if (res.next !== null) text += `more: --cursor ${res.next}\n`;
  return text;
}

export function formatTop(a: Aggregates): string {
  const parts: string[] = [];
  parts.push(`${a.total} queries from ${time(a.from)} to ${time(a.to)} UTC\n`);
  const section = (title: string, rows: (string | number)[][]): void => {
    parts.push(`\n${title}\n${rows.length === 0 ? '  none\n' : table(rows.map((r) => ['', ...r.map(String)]))}`);
  };
  section('Answer sources', a.sources.map((s) => [s.source, s.count]));
  section('Top names', a.topNames.map((n) => [n.name, n.count]));
  section('Top clients', a.topClients.map((c) => [c.client, c.count]));
  section('Top blocked', a.topBlocked.map((n) => [n.name, n.count]));
  section('Upstreams (slowest mean first)', a.upstreams.map((u) => [u.upstream, u.count, `mean ${u.avgMs.toFixed(2)}ms`, `max ${u.maxMs.toFixed(2)}ms`]));
  const busiest = [...a.perMinute].sort((x, y) => y.count - x.count)[0];
  if (busiest !== undefined) parts.push(`\nBusiest minute: ${time(busiest.minute)} UTC, ${busiest.count} queries\n`);
  return parts.join('');
}

function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => { widths[i] = Math.max(widths[i] ?? 0, c.length); });
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}
