import { RRType } from '../wire/constants.js';
import type { RR } from '../wire/types.js';
import { containsRdata, soaNumbers, type RRset } from '../zone/rrset.js';
import { changedNames } from '../zone/change-hint.js';
import type { Zone } from '../zone/zone.js';

/**
 * The difference between two versions of a zone in the shape IXFR carries it (RFC 1995 §4):
 * the old SOA, the records deleted, the new SOA, the records added. SOA records are never in
 * `deleted`/`added`; a record whose TTL changed is deleted and added again.
 */
export interface ZoneDiff {
  /** SOA record of the version the difference starts from. */
  readonly from: RR;
  /** SOA record of the version it leads to. */
  readonly to: RR;
  readonly deleted: readonly RR[];
  readonly added: readonly RR[];
}

/** SERIAL of an SOA record. */
export function serialOf(soa: RR): number {
  return soaNumbers(soa.rdata).serial;
}

/** Number of records a diff puts on the wire (its two SOAs included). */
export function diffSize(d: ZoneDiff): number {
  return d.deleted.length + d.added.length + 2;
}

/**
 * What changed from `old` to `next` (two versions of one zone). Versions made by
 * `withChanges()` share every untouched node and RRset object, so those are skipped by identity
 * and only changed RRsets are compared record by record: cheap for the one-name updates Kea
 * makes, and still right for two unrelated versions (a reloaded file), where everything is
 * compared.
 */
export function zoneDiff(old: Zone, next: Zone): ZoneDiff {
  const names = changedNames(old, next);
  if (names !== null) return namesDiff(old, next, names);
  const deleted: RR[] = [];
  const added: RR[] = [];
  const apex = next.key;
  for (const n of next.nodes()) {
    const o = old.nodeAt(n.key);
    if (o !== n) nodeDiff(o, n, apex, deleted, added);
  }
  for (const o of old.nodes()) {
    if (next.nodeAt(o.key) !== undefined) continue;
    for (const set of o.rrsets.values()) deleted.push(...set.rrs);
  }
  return { from: old.soa.rrs[0]!, to: next.soa.rrs[0]!, deleted, added };
}

/**
 * The difference when only `names` (lower-case FQDNs) can differ, as noted by whoever made
 * `next` (zone/change-hint.ts): it costs what the change touched, not the size of the zone.
 */
export function namesDiff(old: Zone, next: Zone, names: Iterable<string>): ZoneDiff {
  const deleted: RR[] = [];
  const added: RR[] = [];
  const apex = next.key;
  for (const key of names) {
    const o = old.nodeAt(key);
    const n = next.nodeAt(key);
    if (o === n) continue;
    if (n === undefined) {
      for (const set of o!.rrsets.values()) deleted.push(...set.rrs);
      continue;
    }
    nodeDiff(o, n, apex, deleted, added);
  }
  return { from: old.soa.rrs[0]!, to: next.soa.rrs[0]!, deleted, added };
}

type ZoneNodeOf = NonNullable<ReturnType<Zone['nodeAt']>>;

/** The records that leave and enter one owner name (the apex SOA aside). */
function nodeDiff(o: ZoneNodeOf | undefined, n: ZoneNodeOf, apex: string, deleted: RR[], added: RR[]): void {
  for (const [type, set] of n.rrsets) {
    if (type === RRType.SOA && n.key === apex) continue;
    const before = o?.rrsets.get(type);
    if (before !== set) rrsetDiff(before, set, deleted, added);
  }
  if (o === undefined) return;
  for (const [type, set] of o.rrsets) {
    if (!n.rrsets.has(type) && !(type === RRType.SOA && n.key === apex)) deleted.push(...set.rrs);
  }
}

/** Appends the records that leave and enter one RRset (all of them when its TTL changed). */
function rrsetDiff(before: RRset | undefined, after: RRset, deleted: RR[], added: RR[]): void {
  if (before === undefined) {
    added.push(...after.rrs);
    return;
  }
  if (before.ttl !== after.ttl) {
    deleted.push(...before.rrs);
    added.push(...after.rrs);
    return;
  }
  const oldData = before.rrs.map((r) => r.rdata);
  const newData = after.rrs.map((r) => r.rdata);
  for (const r of before.rrs) if (!containsRdata(r.type, newData, r.rdata)) deleted.push(r);
  for (const r of after.rrs) if (!containsRdata(r.type, oldData, r.rdata)) added.push(r);
}
