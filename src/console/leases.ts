import type { UpdateManager } from '../update/manager.js';
import { RRType } from '../wire/constants.js';
import { canonicalName } from '../wire/name.js';
import { rdataToText } from '../wire/rdata/index.js';
import { addressToReverseName } from '../view/reverse-name.js';

/** One name Kea registered: its DHCID record marks it (RFC 4701). */
export interface Lease {
  name: string;
  zone: string;
  addresses: string[];
  /** PTR names found for the addresses in the reverse zones we serve (`address → name`). */
  ptr: Record<string, string[]>;
  dhcid: string;
  /** When the last update wrote the name (ms since the epoch). */
  updatedAt: number;
  ageSeconds: number;
  /** When scavenging would delete it (ms), null when the zone does not scavenge. */
  expiresAt: number | null;
  /** Past its scavenging grace: the next scavenging run deletes it. */
  stale: boolean;
}

/** Every DHCID-marked dynamic name of every zone that takes updates, newest first. */
export function listLeases(updates: UpdateManager, now: number): Lease[] {
  const out: Lease[] = [];
  const zones = [...updates.zones()];
  for (const dz of zones) {
    const entries = [...dz.dynamicEntries()];
    const grace = dz.config.update?.scavenge.enabled ? dz.config.update.scavenge.grace * 1000 : null;
    for (const e of entries) {
      if (e.type !== RRType.DHCID || e.rdata.length === 0) continue;
      const key = canonicalName(e.name);
      const node = dz.current.node(e.name);
      const addresses: string[] = [];
      let updatedAt = e.at;
      for (const t of [RRType.A, RRType.AAAA]) {
        const set = node?.rrsets.get(t);
        if (set) for (const r of set.rrs) addresses.push(rdataToText(t, r.rdata));
        const dyn = entries.find((x) => x.type === t && canonicalName(x.name) === key);
        if (dyn && dyn.at > updatedAt) updatedAt = dyn.at;
      }
      const ptr: Record<string, string[]> = {};
      for (const a of addresses) {
        const rev = addressToReverseName(a);
        for (const rz of zones) {
          const set = rz.current.node(rev)?.rrsets.get(RRType.PTR);
          if (set) ptr[a] = set.rrs.map((r) => rdataToText(RRType.PTR, r.rdata));
        }
      }
      const expiresAt = grace === null ? null : updatedAt + grace;
      out.push({
        name: e.name, zone: dz.origin, addresses, ptr, dhcid: rdataToText(RRType.DHCID, e.rdata[0]!), updatedAt,
        ageSeconds: Math.max(0, Math.round((now - updatedAt) / 1000)), expiresAt, stale: expiresAt !== null && now >= expiresAt,
      });
    }
  }
  return out.sort((a, b) => b.updatedAt - a.updatedAt);
}
