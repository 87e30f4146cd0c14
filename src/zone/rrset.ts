import { rdataEquals } from '../wire/rdata/index.js';
import type { RR } from '../wire/types.js';

/**
 * RRsets and nodes as a Zone holds them. Everything here is frozen once built: a zone version
 * shares its RRsets and RR objects with the next version and with the answers it hands out.
 */

/** All records of one owner and type, with one TTL (RFC 2181 §5). */
export interface RRset {
  /** Owner as first loaded (presentation FQDN, original case). */
  readonly name: string;
  readonly type: number;
  readonly class: number;
  readonly ttl: number;
  /** The records (owner `name`, TTL `ttl`), ready to put in a message section. */
  readonly rrs: readonly RR[];
}

/** One name of the zone: its RRsets, or none for an empty non-terminal. */
export interface ZoneNode {
  /** Presentation FQDN, original case. */
  readonly name: string;
  /** Canonical (lower-case) FQDN: the map key. */
  readonly key: string;
  readonly rrsets: ReadonlyMap<number, RRset>;
  /** How many names with data lie strictly below this one (> 0 keeps an empty node existing). */
  readonly below: number;
}

/** Builds a frozen RRset; duplicate RDATA (RFC 2181 §5, names compared case-insensitively) is dropped. */
export function makeRRset(name: string, type: number, cls: number, ttl: number, rdata: readonly Uint8Array[]): RRset {
  const unique: Uint8Array[] = [];
  for (const r of rdata) if (!containsRdata(type, unique, r)) unique.push(r);
  const rrs = unique.map((r) => Object.freeze({ name, type, class: cls, ttl, rdata: r }));
  return Object.freeze({ name, type, class: cls, ttl, rrs: Object.freeze(rrs) });
}

/** True when `list` holds RDATA equal to `r` (RFC 2181 §5 sameness). */
export function containsRdata(type: number, list: readonly Uint8Array[], r: Uint8Array): boolean {
  for (const x of list) if (x.length === r.length && rdataEquals(type, x, r)) return true;
  return false;
}

/** A node value (frozen). */
export function makeNode(name: string, key: string, rrsets: ReadonlyMap<number, RRset>, below: number): ZoneNode {
  return Object.freeze({ name, key, rrsets, below });
}

/** SOA SERIAL and MINIMUM from SOA RDATA (the last 20 bytes are five 32-bit fields). */
export function soaNumbers(rdata: Uint8Array): { serial: number; minimum: number } {
  const v = new DataView(rdata.buffer, rdata.byteOffset, rdata.byteLength);
  const end = rdata.byteLength;
  return { serial: v.getUint32(end - 20), minimum: v.getUint32(end - 4) };
}

/** The SOA record for negative answers: TTL = min(SOA TTL, SOA MINIMUM) (RFC 2308 §3). */
export function negativeSoa(soa: RRset): RR {
  const rr = soa.rrs[0]!;
  const ttl = Math.min(soa.ttl, soaNumbers(rr.rdata).minimum);
  return ttl === rr.ttl ? rr : Object.freeze({ ...rr, ttl });
}
