import { RRType } from '../wire/constants.js';
import { canonicalName } from '../wire/name.js';
import type { RRsetChange, Zone } from '../zone/zone.js';
import { sameRdata } from './draft.js';
import type { DynamicLayer, LayerEntry } from './layer.js';

/** True when two zone versions hold the same RRsets (TTLs and RDATA; names compared by key). */
export function sameZoneData(a: Zone, b: Zone): boolean {
  if (a === b) return true;
  let count = 0;
  for (const n of a.nodes()) {
    count++;
    const m = b.nodeAt(n.key);
    if (!m || m.rrsets.size !== n.rrsets.size) return false;
    for (const [type, s] of n.rrsets) {
      const t = m.rrsets.get(type);
      if (!t || t.ttl !== s.ttl || !sameRdata(type, s.rrs.map((r) => r.rdata), t.rrs.map((r) => r.rdata))) return false;
    }
  }
  for (const _ of b.nodes()) count--;
  return count === 0;
}

/**
 * Scavenging (off by default): a dynamic name that carries a DHCID record, the mark of a DHCP
 * lease, is removed with everything the updates put there once the longest TTL at the name plus
 * `graceMs` has passed since an update last touched it. Kea forgets pending removals when it
 * restarts; this cleans up after it. Names the zone file defines are never touched.
 */
export function scavengeChanges(layer: DynamicLayer, staticZone: Zone, now: number, graceMs: number): { changes: RRsetChange[]; names: string[] } {
  const byName = new Map<string, LayerEntry[]>();
  for (const e of layer.entries()) {
    if (e.rdata.length === 0) continue;
    const key = canonicalName(e.name);
    let list = byName.get(key);
    if (!list) byName.set(key, (list = []));
    list.push(e);
  }
  const changes: RRsetChange[] = [];
  const names: string[] = [];
  for (const [key, list] of byName) {
    if (!list.some((e) => e.type === RRType.DHCID)) continue;
    if ((staticZone.nodeAt(key)?.rrsets.size ?? 0) > 0) continue;
    let last = 0;
    let ttl = 0;
    for (const e of list) {
      if (e.at > last) last = e.at;
      if (e.ttl > ttl) ttl = e.ttl;
    }
    if (last + ttl * 1000 + graceMs > now) continue;
    names.push(list[0]!.name);
    for (const e of list) changes.push({ name: e.name, type: e.type, ttl: 0, rdata: [] });
  }
  return { changes, names };
}
