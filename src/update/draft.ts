import { canonicalName } from '../wire/name.js';
import { containsRdata } from '../zone/rrset.js';
import type { RRsetChange, Zone } from '../zone/zone.js';

/** One RRset as an update sees it: owner, TTL, and the RDATA list (never empty). */
export interface SetImage {
  readonly name: string;
  readonly ttl: number;
  readonly rdata: readonly Uint8Array[];
}

/**
 * The zone as one update is changing it: the RRsets it touched, on top of an immutable Zone
 * version. Reads see the update's own earlier changes (RFC 2136 §3.4.2 processes update
 * records in order); `changes()` is what differs from the base version at the end.
 */
export class Draft {
  readonly zone: Zone;
  /** Canonical owner → type → image, or null for an RRset the update deleted. */
  readonly #touched = new Map<string, Map<number, SetImage | null>>();

  constructor(zone: Zone) {
    this.zone = zone;
  }

  /** The RRset at `name` (any case) of `type`, or undefined when there is none. */
  get(name: string, type: number): SetImage | undefined {
    const key = canonicalName(name);
    const t = this.#touched.get(key)?.get(type);
    if (t !== undefined) return t ?? undefined;
    const s = this.zone.nodeAt(key)?.rrsets.get(type);
    return s ? { name: s.name, ttl: s.ttl, rdata: s.rrs.map((rr) => rr.rdata) } : undefined;
  }

  /** Types that have data at `name`. */
  types(name: string): number[] {
    const key = canonicalName(name);
    const out = new Set<number>(this.zone.nodeAt(key)?.rrsets.keys() ?? []);
    const t = this.#touched.get(key);
    if (t) for (const [type, img] of t) if (img) out.add(type); else out.delete(type);
    return [...out];
  }

  /** True when at least one RR exists at `name` (RFC 2136 §2.4.4 "name is in use"). */
  inUse(name: string): boolean {
    return this.types(name).length > 0;
  }

  /** Replaces the RRset (an empty list deletes it). */
  put(name: string, type: number, ttl: number, rdata: readonly Uint8Array[]): void {
    const key = canonicalName(name);
    let t = this.#touched.get(key);
    if (!t) this.#touched.set(key, (t = new Map()));
    const owner = this.zone.nodeAt(key)?.name ?? name;
    t.set(type, rdata.length === 0 ? null : { name: owner, ttl, rdata });
  }

  /** The RRsets that now differ from the base version, as Zone.withChanges wants them. */
  changes(): RRsetChange[] {
    const out: RRsetChange[] = [];
    for (const [key, types] of this.#touched) {
      for (const [type, img] of types) {
        const old = this.zone.nodeAt(key)?.rrsets.get(type);
        if (img === null) {
          if (old) out.push({ name: old.name, type, ttl: 0, rdata: [] });
          continue;
        }
        if (old && old.ttl === img.ttl && sameRdata(type, old.rrs.map((rr) => rr.rdata), img.rdata)) continue;
        out.push({ name: img.name, type, ttl: img.ttl, rdata: img.rdata });
      }
    }
    return out;
  }
}

/** Set equality of two RDATA lists (each duplicate-free), RFC 2181 §5 sameness. */
export function sameRdata(type: number, a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  if (a.length !== b.length) return false;
  for (const r of b) if (!containsRdata(type, a, r)) return false;
  return true;
}
