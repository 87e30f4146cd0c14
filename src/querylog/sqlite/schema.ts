import type BetterSqlite3 from 'better-sqlite3';
import ipaddr from 'ipaddr.js';
import { QueryLogError, QueryLogErrorCode } from '../errors.js';
import type { QueryRecord } from '../record.js';

/**
 * The SQLite query-log schema, shared by the writer (the sink's worker) and the search.
 *
 * One table, `queries`, one row per record. Three indexes serve the searches the console and
 * the CLI make: `ts` (time ranges, newest first), `(client, ts)` (an address or a prefix: the
 * client is stored as 16 bytes, IPv4 as ::ffff:a.b.c.d, so a prefix is a byte range) and
 * `(rname, ts)` (a name and everything under it: `rname` is the lower-case name with its labels
 * reversed, `com.example.www.`, so a suffix search is a range scan).
 */

export const SCHEMA_VERSION = 1;

const DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS queries (
  id INTEGER PRIMARY KEY,
  ts INTEGER NOT NULL,
  client BLOB NOT NULL,
  client_text TEXT NOT NULL,
  port INTEGER NOT NULL,
  view TEXT,
  protocol TEXT NOT NULL,
  qname TEXT,
  rname TEXT,
  qtype INTEGER NOT NULL,
  rcode INTEGER NOT NULL,
  source TEXT NOT NULL,
  upstream TEXT,
  duration_us INTEGER NOT NULL,
  answers TEXT,
  translated INTEGER NOT NULL,
  blocked_by TEXT,
  ede INTEGER
);
CREATE INDEX IF NOT EXISTS queries_ts ON queries (ts);
CREATE INDEX IF NOT EXISTS queries_client ON queries (client, ts);
CREATE INDEX IF NOT EXISTS queries_rname ON queries (rname, ts);
`;

/** Creates or checks the schema of an open database (WAL, incremental vacuum). */
export function setupDatabase(db: BetterSqlite3.Database): void {
  const fresh = (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'queries'").get() as { n: number }).n === 0;
  if (fresh) db.pragma('auto_vacuum = INCREMENTAL');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.exec(DDL);
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
  if (row === undefined) {
    db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?)").run(String(SCHEMA_VERSION));
  } else if (Number(row.value) > SCHEMA_VERSION) {
    throw new QueryLogError(QueryLogErrorCode.SchemaTooNew, `query log: ${db.name} has schema version ${row.value}, this horizond knows ${SCHEMA_VERSION}: use a newer horizond or another file`);
  }
}

/** The statement that inserts one record (bound with recordParams). */
export const INSERT = `INSERT INTO queries (ts, client, client_text, port, view, protocol, qname, rname, qtype, rcode, source, upstream,
  duration_us, answers, translated, blocked_by, ede) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

export function recordParams(r: QueryRecord): unknown[] {
  const lower = r.qname === null ? null : r.qname.toLowerCase();
  return [
    Math.round(r.time), clientBytes(r.client), r.client, r.port, r.view, r.protocol, r.qname, lower === null ? null : reverseName(lower),
    r.qtype, r.rcode, r.source, r.upstream, Math.round(r.durationMs * 1000), r.answers.length === 0 ? null : r.answers.join(' '),
    r.translated ? 1 : 0, r.blockedBy, r.ede,
  ];
}

/** Recently seen values (clients and names repeat): cleared whole when full, so bounded. */
const reversed = new Map<string, string>();
const clients = new Map<string, Buffer>();
const CACHE_MAX = 20_000;

/** `www.Example.com.` → `com.example.www.` (lower-case, labels reversed, trailing dot). */
export function reverseName(name: string): string {
  let r = reversed.get(name);
  if (r === undefined) {
    r = reverseUncached(name);
    if (reversed.size >= CACHE_MAX) reversed.clear();
    reversed.set(name, r);
  }
  return r;
}

function reverseUncached(name: string): string {
  const n = name.toLowerCase();
  if (n === '.' || n === '') return '.';
  const body = n.endsWith('.') ? n.slice(0, -1) : n;
  return body.split('.').reverse().join('.') + '.';
}

/** 16 bytes of an address (IPv4 as ::ffff:a.b.c.d); zeros when it cannot be read. */
export function clientBytes(address: string): Buffer {
  let out = clients.get(address);
  if (out === undefined) {
    out = Buffer.alloc(16);
    const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
    if (v4 !== null && v4.slice(1).every((o) => Number(o) < 256)) {
      out[10] = 0xff;
      out[11] = 0xff;
      for (let i = 0; i < 4; i++) out[12 + i] = Number(v4[i + 1]);
    } else {
      const a = parseAddress(address);
      if (a !== null) out.set(a, 0);
    }
    if (clients.size >= CACHE_MAX) clients.clear();
    clients.set(address, out);
  }
  return out;
}

function parseAddress(address: string): Uint8Array | null {
  const zone = address.indexOf('%');
  const text = zone >= 0 ? address.slice(0, zone) : address;
  if (!ipaddr.isValid(text)) return null;
  const a = ipaddr.parse(text);
  if (a.kind() === 'ipv4') return Uint8Array.from((a as ipaddr.IPv4).toIPv4MappedAddress().toByteArray());
  return Uint8Array.from(a.toByteArray());
}

/** An address or prefix (`192.168.1.0/24`, `fd00::/8`, `10.0.0.5`) as an inclusive 16-byte range. */
export function clientRange(text: string): { lo: Buffer; hi: Buffer } {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  if (!ipaddr.isValid(addr)) throw new QueryLogError(QueryLogErrorCode.BadFilter, `query log: "${text}" is not an address or prefix (e.g. 192.168.1.0/24, fd00::/8, 10.0.0.5)`);
  const parsed = ipaddr.parse(addr);
  const v4 = parsed.kind() === 'ipv4';
  const max = v4 ? 32 : 128;
  let len = max;
  if (slash >= 0) {
    const l = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(l) || Number(l) > max) throw new QueryLogError(QueryLogErrorCode.BadFilter, `query log: "${text}": prefix length must be 0..${max}`);
    len = Number(l);
  }
  const bytes = Buffer.from(parseAddress(addr)!);
  const bits = v4 ? 96 + len : len;
  const lo = Buffer.from(bytes);
  const hi = Buffer.from(bytes);
  for (let i = 0; i < 128; i++) {
    if (i < bits) continue;
    const byte = i >> 3;
    const mask = 0x80 >> (i & 7);
    lo[byte]! &= ~mask;
    hi[byte]! |= mask;
  }
  return { lo, hi };
}
