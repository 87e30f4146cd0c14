import { isIP } from 'node:net';
import type { DynamicZone } from '../update/dynamic-zone.js';
import type { UpdateManager } from '../update/manager.js';
import type { UpdateRR } from '../update/message.js';
import { RClass, RCode, RRType, rcodeToString, typeFromString, typeToString } from '../wire/constants.js';
import { canonicalName, isSubdomain } from '../wire/name.js';
import { rdataFromText, rdataToText } from '../wire/rdata/index.js';
import { Lexer } from '../zone/lexer.js';
import { compareNames } from '../zone/dump.js';
import type { Zone } from '../zone/zone.js';
import { ApiError } from './errors.js';
import type { ConsoleIdentity } from './tokens.js';

/**
 * Record changes over HTTP, made as RFC 2136 UPDATE messages and run through the same engine as
 * nsupdate's: the zone's update policy (its `tokens` and `networks`, its rules, static-record
 * protection), the zone's queue and journal (durable before the answer), and replication (the
 * change reaches secondaries by IXFR). Nothing here changes zone data any other way.
 */

/** Types the API takes in presentation form; everything else is refused as unknown. */
const NOT_DATA = new Set<number>([RRType.ANY, RRType.AXFR, RRType.IXFR, RRType.OPT, RRType.TSIG, RRType.SOA]);

export interface RecordInput {
  readonly name: string;
  readonly type: string;
  readonly ttl?: number;
  /** RDATA in zone-file form (`192.0.2.1`, `10 mail.example.`, `"text"`). */
  readonly data?: string;
}

export interface RecordOut {
  name: string;
  type: string;
  ttl: number;
  data: string;
  /** Written by an update (RFC 2136 or this API), not by the zone file. */
  dynamic: boolean;
}

/** A checked absolute name (trailing dot), or an ApiError naming `field`. */
export function checkName(text: unknown, field: string): string {
  if (typeof text !== 'string' || text.length === 0) throw new ApiError(400, `${field}: expected a domain name`);
  const name = text.endsWith('.') ? text : text + '.';
  if (Buffer.byteLength(name) > 254) throw new ApiError(400, `${field}: name longer than 255 bytes in wire form`);
  if (!/^(?:\*\.)?(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)*$/.test(name) && name !== '.') {
    throw new ApiError(400, `${field}: "${text}" is not a valid domain name (labels of letters, digits, "-", "_", at most 63 characters)`);
  }
  return name;
}

export function checkType(text: unknown, field = 'type'): number {
  const t = typeof text === 'string' ? typeFromString(text.toUpperCase()) : undefined;
  if (t === undefined || NOT_DATA.has(t)) throw new ApiError(400, `${field}: unknown or unsupported record type "${String(text)}"`);
  return t;
}

export function parseRdata(type: number, text: unknown, origin: string, field = 'data'): Uint8Array {
  if (typeof text !== 'string' || text.trim() === '') throw new ApiError(400, `${field}: expected the record data as text`);
  if (text.length > 65_535 || /[\r\n]/.test(text)) throw new ApiError(400, `${field}: must be one line of at most 65535 characters`);
  if ((type === RRType.A && isIP(text.trim()) !== 4) || (type === RRType.AAAA && isIP(text.trim()) !== 6)) {
    throw new ApiError(400, `${field}: "${text}" is not an ${type === RRType.A ? 'IPv4' : 'IPv6'} address`);
  }
  try {
    const entry = new Lexer(text, field).next();
    if (entry === null || entry.tokens.length === 0) throw new ApiError(400, 'empty');
    return rdataFromText(type, entry.tokens, origin);
  } catch (err) {
    throw new ApiError(400, `${field}: ${(err as Error).message}`);
  }
}

/** The managed zone that holds `name` (most specific apex), or null. */
export function zoneFor(updates: UpdateManager, name: string): DynamicZone | null {
  let best: DynamicZone | null = null;
  for (const dz of updates.zones()) {
    if (isSubdomain(name, dz.origin) && (best === null || dz.origin.length > best.origin.length)) best = dz;
  }
  return best;
}

/** The zone's records as served now, static and dynamic, optionally for one name and type. */
export function listRecords(zone: Zone, dz: DynamicZone | null, name: string | null, type: number | null): RecordOut[] {
  const dynamic = new Set<string>();
  if (dz) for (const e of dz.dynamicEntries()) if (e.rdata.length > 0) dynamic.add(`${canonicalName(e.name)} ${e.type}`);
  const key = name === null ? null : canonicalName(name);
  const out: RecordOut[] = [];
  const rrs = zone.records().sort((a, b) => compareNames(a.name, b.name) || a.type - b.type);
  for (const rr of rrs) {
    const k = canonicalName(rr.name);
    if (key !== null && k !== key) continue;
    if (type !== null && rr.type !== type) continue;
    out.push({ name: rr.name, type: typeToString(rr.type), ttl: rr.ttl, data: rdataToText(rr.type, rr.rdata), dynamic: dynamic.has(`${k} ${rr.type}`) });
  }
  return out;
}

export interface ChangeResult {
  readonly serial: number;
}

/**
 * Runs `updates` (already built for zone `dz`) as one UPDATE by `who` from `address`. The
 * token's own zone list is checked here; the zone's policy (tokens, networks, rules, static
 * protection) by the update engine. A refusal becomes 403 with the policy's reason.
 */
export async function applyChange(dz: DynamicZone, who: ConsoleIdentity, address: string, prereqs: UpdateRR[], updates: UpdateRR[]): Promise<ChangeResult> {
  if (who.scope !== 'write') throw new ApiError(403, `token ${who.name} has read scope only`);
  if (who.zones !== null && !who.zones.includes(dz.key)) throw new ApiError(403, `token ${who.name} may not write to zone ${dz.origin} (its zones: ${who.zones.join(', ')})`);
  if (!dz.guard) throw new ApiError(403, `zone ${dz.origin} accepts no updates`);
  const msg = { id: 0, zone: { name: dz.origin, type: RRType.SOA, class: dz.class }, prereqs, updates };
  const r = await dz.submit({ msg, key: null, token: who.name, address });
  if (r.rcode === RCode.NoError) return { serial: dz.current.serial };
  const why = r.failure?.detail ?? rcodeToString(r.rcode);
  if (r.rcode === RCode.Refused || r.rcode === RCode.NotAuth) throw new ApiError(403, why);
  if (r.rcode === RCode.ServFail) throw new ApiError(503, why);
  throw new ApiError(400, why);
}

/** An "add this record" update RR. */
export function addRR(name: string, type: number, ttl: number, rdata: Uint8Array, cls: number = RClass.IN): UpdateRR {
  return { name, type, class: cls, ttl, rdata };
}

/** Delete one record (rdata given) or the whole RRset (rdata null). */
export function deleteRR(name: string, type: number, rdata: Uint8Array | null): UpdateRR {
  return rdata === null
    ? { name, type, class: RClass.ANY, ttl: 0, rdata: new Uint8Array(0) }
    : { name, type, class: RClass.NONE, ttl: 0, rdata };
}

export function checkTtl(v: unknown, field = 'ttl', fallback = 3600): number {
  if (v === undefined || v === null || v === '') return fallback;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 2_147_483_647) throw new ApiError(400, `${field}: expected a whole number of seconds 0..2147483647`);
  return n;
}
