import { RRType } from '../wire/constants.js';
import { canonicalName } from '../wire/name.js';
import type { RRsetChange, Zone } from '../zone/zone.js';
import { maxSerial, withSerial } from './serial.js';

/** One RRset as updates left it: its complete RDATA list, empty when updates deleted it. */
export interface LayerEntry {
  readonly name: string;
  readonly type: number;
  readonly ttl: number;
  readonly rdata: readonly Uint8Array[];
  /** When the update that wrote it was applied (ms since the epoch), for scavenging. */
  readonly at: number;
}

/**
 * The dynamic part of a zone: for every RRset an update touched, what the update left (an
 * "after image"), plus the serial the last update gave the zone. The served zone is always
 * `overlay(static zone)`, so a new zone file (a Git pull) gets the same dynamic data on top.
 *
 * - protectStatic: names the zone file defines win over dynamic data at the same name (updates
 *   can never create such data, but a new zone file can define a name Kea registered earlier).
 * - otherwise an updated RRset wins over the file's version of it; if the result would put a
 *   CNAME beside other data at a name, the file's data wins at that name.
 * - SERIAL: the larger (RFC 1982) of the file's and the updates' serial, so it never goes back.
 */
export class DynamicLayer {
  /** Serial after the last update, or null when no update was ever applied. */
  serial: number | null = null;
  /** Sequence number of the last journal record applied. */
  seq = 0;
  readonly #entries = new Map<string, LayerEntry>();

  get size(): number {
    return this.#entries.size;
  }

  entries(): IterableIterator<LayerEntry> {
    return this.#entries.values();
  }

  /** Records what one update (or journal record) did. */
  apply(changes: readonly RRsetChange[], serial: number, at: number, seq: number): void {
    for (const c of changes) {
      this.#entries.set(`${canonicalName(c.name)} ${c.type}`, { name: c.name, type: c.type, ttl: c.ttl, rdata: c.rdata, at });
    }
    this.serial = serial;
    this.seq = seq;
  }

  /** Replaces everything with a snapshot's content. */
  reset(entries: readonly LayerEntry[], serial: number | null, seq: number): void {
    this.#entries.clear();
    for (const e of entries) this.#entries.set(`${canonicalName(e.name)} ${e.type}`, e);
    this.serial = serial;
    this.seq = seq;
  }

  /**
   * Forgets deletions of RRsets the zone file does not have (deleting dynamic data leaves
   * nothing worth remembering), so snapshots and memory do not grow with lease churn.
   */
  prune(staticZone: Zone): void {
    for (const [k, e] of this.#entries) {
      if (e.rdata.length === 0 && !staticZone.rrset(e.name, e.type)) this.#entries.delete(k);
    }
  }

  /** The zone as served: `staticZone` with this layer on top (see the class comment). */
  overlay(staticZone: Zone, protectStatic: boolean): Zone {
    const byName = new Map<string, LayerEntry[]>();
    for (const [k, e] of this.#entries) {
      const key = k.slice(0, k.lastIndexOf(' '));
      let list = byName.get(key);
      if (!list) byName.set(key, (list = []));
      list.push(e);
    }
    const changes: RRsetChange[] = [];
    let soa: LayerEntry | null = null;
    for (const [key, list] of byName) {
      const node = staticZone.nodeAt(key);
      const hasStatic = node !== undefined && node.rrsets.size > 0;
      if (hasStatic && (protectStatic || cnameConflict(node.rrsets.keys(), list))) continue;
      for (const e of list) {
        if (e.type === RRType.SOA && key === staticZone.key) soa = e;
        else changes.push(e);
      }
    }
    const fileSoa = staticZone.soa;
    const serial = this.serial === null ? staticZone.serial : maxSerial(staticZone.serial, this.serial);
    if (soa !== null || serial !== staticZone.serial) {
      const base = soa !== null && soa.rdata.length === 1 ? soa : { ttl: fileSoa.ttl, rdata: [fileSoa.rrs[0]!.rdata] };
      changes.push({ name: staticZone.origin, type: RRType.SOA, ttl: base.ttl, rdata: [withSerial(base.rdata[0]!, serial)] });
    }
    return changes.length === 0 ? staticZone : staticZone.withChanges(changes);
  }
}

/** True when static types at a name, with the layer's entries applied, mix CNAME with other data. */
function cnameConflict(staticTypes: Iterable<number>, entries: readonly LayerEntry[]): boolean {
  const types = new Set(staticTypes);
  for (const e of entries) if (e.rdata.length > 0) types.add(e.type); else types.delete(e.type);
  if (!types.has(RRType.CNAME)) return false;
  for (const t of types) if (t !== RRType.CNAME && t !== RRType.RRSIG && t !== RRType.NSEC) return true;
  return false;
}
