import { RClass, classToString, typeToString } from '../wire/constants.js';
import { canonicalName, isSubdomain } from '../wire/name.js';
import type { RR } from '../wire/types.js';
import { ZoneCheckError, type SourcePos, type ZoneIssue } from './errors.js';
import { containsRdata, makeNode, makeRRset, type RRset, type ZoneNode } from './rrset.js';
import { Zone, parentKey } from './zone.js';

/**
 * Building a Zone from a flat list of records (a parsed file, a transfer, a test table).
 *
 * Duplicate records are merged (RFC 2181 §5). Records of one RRset with different TTLs are
 * made consistent the way BIND 9 loads a file (checked against named-compilezone 9.18), and a
 * warning is given each time:
 * - within a *group* of consecutive records with the same owner spelling, the first TTL wins
 *   (BIND: "TTL set to prior TTL");
 * - when the RRset is continued in a later group, that group's TTL replaces the RRset's TTL
 *   (BIND does this silently).
 */

export interface BuildOptions {
  /** Zone class; a record of another class is an error. Default IN. */
  class?: number;
  /** Where each record came from (same index as `rrs`), for messages. */
  positions?: readonly (SourcePos | undefined)[];
  /** Receives warnings (TTL made consistent, duplicate dropped). */
  warnings?: ZoneIssue[];
}

interface SetBuilder {
  ttl: number;
  rdata: Uint8Array[];
  group: number;
}

interface NodeBuilder {
  name: string;
  sets: Map<number, SetBuilder>;
}

/**
 * Builds version 1 of a zone. Throws ZoneCheckError when a record lies outside the zone, has
 * another class, or when there is no SOA at the apex (the minimum to make a Zone at all); the
 * other rules are in checks.ts.
 */
export function buildZone(origin: string, rrs: readonly RR[], opts: BuildOptions = {}): Zone {
  const cls = opts.class ?? RClass.IN;
  const apexKey = canonicalName(origin);
  const warn = (i: number, message: string): void => {
    opts.warnings?.push({ message, ...posOf(opts, i) });
  };
  const builders = new Map<string, NodeBuilder>();
  let group = 0;
  let prevOwner = '';
  for (let i = 0; i < rrs.length; i++) {
    const rr = rrs[i]!;
    if (rr.name !== prevOwner) { group++; prevOwner = rr.name; }
    if (!isSubdomain(rr.name, origin)) {
      throw new ZoneCheckError(origin, [{ message: `${rr.name} is outside the zone ${origin}`, ...posOf(opts, i) }]);
    }
    if (rr.class !== cls) {
      const message = `${rr.name} has class ${classToString(rr.class)}, the zone is ${classToString(cls)}`;
      throw new ZoneCheckError(origin, [{ message, ...posOf(opts, i) }]);
    }
    const key = canonicalName(rr.name);
    let node = builders.get(key);
    if (!node) builders.set(key, (node = { name: rr.name, sets: new Map() }));
    const set = node.sets.get(rr.type);
    if (!set) {
      node.sets.set(rr.type, { ttl: rr.ttl, rdata: [rr.rdata], group });
      continue;
    }
    const what = `${rr.name} ${typeToString(rr.type)}`;
    if (rr.ttl !== set.ttl) {
      if (set.group === group) {
        warn(i, `${what}: TTL ${rr.ttl} differs from the RRset's ${set.ttl}; using ${set.ttl} (first of the group, as BIND does)`);
      } else {
        warn(i, `${what}: TTL ${rr.ttl} replaces the RRset's ${set.ttl} (TTLs of an RRset must match, RFC 2181 §5.2; the later group wins, as BIND does)`);
        set.ttl = rr.ttl;
      }
    }
    set.group = group;
    if (containsRdata(rr.type, set.rdata, rr.rdata)) warn(i, `${what}: duplicate record ignored`);
    else set.rdata.push(rr.rdata);
  }
  const apex = builders.get(apexKey);
  if (!apex?.sets.has(6)) throw new ZoneCheckError(origin, [{ message: `no SOA record at the apex ${origin}` }]);
  return new Zone(origin, cls, nodesFrom(builders, apexKey, cls), new Map(), 1);
}

function posOf(opts: BuildOptions, i: number): { pos?: SourcePos } {
  const pos = opts.positions?.[i];
  return pos ? { pos } : {};
}

/** Freezes the builders into nodes and adds the empty non-terminals with their `below` counts. */
function nodesFrom(builders: Map<string, NodeBuilder>, apexKey: string, cls: number): Map<string, ZoneNode> {
  const below = new Map<string, number>();
  const entNames = new Map<string, string>();
  for (const [key, b] of builders) {
    let k = key;
    let n = b.name;
    while (k !== apexKey) {
      k = parentKey(k);
      n = parentKey(n);
      below.set(k, (below.get(k) ?? 0) + 1);
      if (!builders.has(k) && !entNames.has(k)) entNames.set(k, n);
    }
  }
  const out = new Map<string, ZoneNode>();
  for (const [key, b] of builders) {
    const sets = new Map<number, RRset>();
    for (const [type, s] of b.sets) sets.set(type, makeRRset(b.name, type, cls, s.ttl, s.rdata));
    out.set(key, makeNode(b.name, key, sets, below.get(key) ?? 0));
  }
  for (const [key, name] of entNames) out.set(key, makeNode(name, key, new Map(), below.get(key)!));
  return out;
}
