import type pg from 'pg';
import { QueryLogError, QueryLogErrorCode } from '../errors.js';
import type { QueryRecord } from '../record.js';
import { reverseName } from '../sqlite/schema.js';

/**
 * The PostgreSQL query-log schema: one table partitioned by day (retention drops whole days),
 * indexes for time, client and name, and a version table. Every replica writes to the same
 * table; creating and migrating it is serialised with an advisory lock, so replicas starting
 * together do not race.
 *
 * `rname` (the lower-case name with its labels reversed) is in the "C" collation so the suffix
 * range `rname >= 'com.example.' AND rname < 'com.example/'` compares bytes whatever the
 * database's locale. `client` is `inet`: a prefix search is `client <<= '192.168.1.0/24'`, which
 * PostgreSQL turns into a range on the btree index.
 */

export const PG_SCHEMA_VERSION = 1;
const LOCK_KEY = 0x68_7a_71_6c; // "hzql"

export function tableNames(table: string): { table: string; version: string } {
  return { table, version: `${table}_schema` };
}

/** Creates or checks the schema; throws QueryLogError(SchemaTooNew) for a newer one. */
export async function migrate(client: pg.ClientBase, table: string): Promise<void> {
  const t = tableNames(table);
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS ${t.version} (version integer NOT NULL)`);
    const res = await client.query<{ version: number }>(`SELECT max(version) AS version FROM ${t.version}`);
    const have = res.rows[0]?.version ?? null;
    if (have !== null && have > PG_SCHEMA_VERSION) {
      throw new QueryLogError(QueryLogErrorCode.SchemaTooNew,
        `postgres: table ${table} has schema version ${have}, this horizond knows ${PG_SCHEMA_VERSION}: upgrade horizond or point it at another table`);
    }
    if (have === null) {
      await client.query(`CREATE TABLE IF NOT EXISTS ${t.table} (
        ts timestamptz NOT NULL,
        client inet NOT NULL,
        port integer NOT NULL,
        view text,
        protocol text NOT NULL,
        qname text,
        rname text COLLATE "C",
        qtype integer NOT NULL,
        rcode integer NOT NULL,
        source text NOT NULL,
        upstream text,
        duration_us integer NOT NULL,
        answers text,
        translated boolean NOT NULL,
        blocked_by text,
        ede integer,
        server text
      ) PARTITION BY RANGE (ts)`);
      await client.query(`CREATE INDEX IF NOT EXISTS ${table}_ts ON ${t.table} (ts)`);
      await client.query(`CREATE INDEX IF NOT EXISTS ${table}_client ON ${t.table} (client, ts)`);
      await client.query(`CREATE INDEX IF NOT EXISTS ${table}_rname ON ${t.table} (rname, ts)`);
      await client.query(`INSERT INTO ${t.version} (version) VALUES ($1)`, [PG_SCHEMA_VERSION]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Partition name of a UTC day: `<table>_p20240701`. */
export function partitionName(table: string, dayStart: number): string {
  return `${table}_p${day(dayStart).replaceAll('-', '')}`;
}

/**
 * Makes sure the day partitions around `now` exist (yesterday to the day after tomorrow) and
 * drops those entirely older than the retention. Returns the partitions dropped.
 */
export async function maintainPartitions(client: pg.ClientBase, table: string, now: number, retentionMs: number): Promise<string[]> {
  const DAY = 86_400_000;
  const today = Math.floor(now / DAY) * DAY;
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    for (let d = today - DAY; d <= today + 2 * DAY; d += DAY) {
      await client.query(`CREATE TABLE IF NOT EXISTS ${partitionName(table, d)} PARTITION OF ${table} FOR VALUES FROM ('${day(d)}') TO ('${day(d + DAY)}')`);
    }
    const parts = await client.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = $1`, [table]);
    const dropped: string[] = [];
    for (const { name } of parts.rows) {
      const m = /_p(\d{4})(\d{2})(\d{2})$/.exec(name);
      if (m === null) continue;
      const end = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) + DAY;
      if (end <= now - retentionMs) {
        await client.query(`DROP TABLE IF EXISTS ${name}`);
        dropped.push(name);
      }
    }
    await client.query('COMMIT');
    return dropped;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

export const COPY_COLUMNS = 'ts, client, port, view, protocol, qname, rname, qtype, rcode, source, upstream, duration_us, answers, translated, blocked_by, ede, server';

/** One record as a line of COPY text format (tab-separated, \N for null). */
export function copyLine(r: QueryRecord, server: string | null): string {
  const lower = r.qname === null ? null : r.qname.toLowerCase();
  const pct = r.client.indexOf('%');
  return [
    new Date(r.time).toISOString(), pct >= 0 ? r.client.slice(0, pct) : r.client, String(r.port), t(r.view), r.protocol, t(r.qname),
    t(lower === null ? null : reverseName(lower)), String(r.qtype), String(r.rcode), t(r.source), t(r.upstream), String(Math.round(r.durationMs * 1000)),
    r.answers.length === 0 ? '\\N' : t(r.answers.join(' ')), r.translated ? 't' : 'f', t(r.blockedBy), r.ede === null ? '\\N' : String(r.ede), t(server),
  ].join('\t') + '\n';
}

function t(v: string | null): string {
  if (v === null) return '\\N';
  return v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}
