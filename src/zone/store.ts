import { RRType } from '../wire/constants.js';
import { DomainMap } from '../wire/domain-map.js';
import { canonicalName } from '../wire/name.js';
import { lookup, type LookupAnswer, type LookupOptions } from './lookup.js';
import { parentKey, type Zone } from './zone.js';

/**
 * The zones one view serves. `findZone` picks the most specific zone for a name by walking its
 * labels up to the root (one map lookup per label, never a scan of the zone list). Swapping a
 * zone for a new version (reload, dynamic update) is one `set()`: lookups already running keep
 * the version they started with.
 */

/** A store-level answer: the zone lookup's fields plus the zone that owns the query name. */
export interface StoreAnswer extends LookupAnswer {
  zone: Zone;
}

export class ZoneStore {
  readonly #zones = new Map<string, Zone>();
  /** The apexes as a wire-name suffix map: "is this question ours?" without decoding it. */
  #apexes = new DomainMap<true>();
  /** Bumped by every set() and delete(): lets callers drop anything derived from the old data. */
  generation = 0;

  constructor(zones: Iterable<Zone> = []) {
    for (const z of zones) this.set(z);
  }

  /** Adds a zone or replaces the one with the same origin. */
  set(zone: Zone): void {
    this.generation++;
    if (!this.#zones.has(zone.key)) this.#apexes.set(zone.key, true);
    this.#zones.set(zone.key, zone);
  }

  /** Removes the zone with this origin; false when there was none. */
  delete(origin: string): boolean {
    this.generation++;
    const gone = this.#zones.delete(canonicalName(origin));
    if (gone) {
      this.#apexes = new DomainMap<true>();
      for (const key of this.#zones.keys()) this.#apexes.set(key, true);
    }
    return gone;
  }

  /** The zone whose apex is exactly `origin`. */
  get(origin: string): Zone | undefined {
    return this.#zones.get(canonicalName(origin));
  }

  get size(): number {
    return this.#zones.size;
  }

  zones(): IterableIterator<Zone> {
    return this.#zones.values();
  }

  /**
   * True when the uncompressed wire name at `buf[start..]` (a question's QNAME) is at or below
   * the apex of a zone here. Allocation-free: the per-query check of whether a name is ours.
   */
  coversWire(buf: Uint8Array, start: number): boolean {
    return this.#apexes.match(buf, start) === true;
  }

  /**
   * The most specific zone containing `qname`, or null. For qtype DS at a zone apex the parent
   * zone is preferred when this store serves it (DS lives on the parent side of a cut).
   */
  findZone(qname: string, qtype = 0): Zone | null {
    let key = canonicalName(qname);
    for (;;) {
      const z = this.#zones.get(key);
      if (z !== undefined) {
        if (qtype === RRType.DS && key !== '.') return this.#parentOf(key) ?? z;
        return z;
      }
      if (key === '.') return null;
      key = parentKey(key);
    }
  }

  #parentOf(key: string): Zone | null {
    for (let k = parentKey(key); ; k = parentKey(k)) {
      const z = this.#zones.get(k);
      if (z !== undefined) return z;
      if (k === '.') return null;
    }
  }

  /**
   * Looks a name up in the most specific zone, continuing a CNAME chain that leaves one zone
   * into any other zone of this store (RFC 1034 §4.3.2 step 3a restarts at step 1). The sections
   * and result describe the last name of the chain; `aa` is the first zone's flag, and every
   * record in the answer comes from a zone of this store. When the chain ends outside all of
   * them, `next` names the target: a caller that completes it from non-authoritative data must
   * clear AA. Null when no zone contains `qname` (answer REFUSED or forward).
   */
  lookup(qname: string, qtype: number, opts?: LookupOptions): StoreAnswer | null {
    const zone = this.findZone(qname, qtype);
    if (zone === null) return null;
    const first = lookup(zone, qname, qtype, opts);
    const max = opts?.maxChain ?? 16;
    const out: StoreAnswer = { ...first, zone };
    while (out.next !== null) {
      const target = out.next;
      const tkey = canonicalName(target);
      if (out.answer.length >= max || out.answer.some((rr) => canonicalName(rr.name) === tkey)) {
        out.next = null; // loop or overlong chain: answer with what we have
        break;
      }
      const z = this.findZone(target, qtype);
      if (z === null) break;
      const r = lookup(z, target, qtype, { maxChain: max - out.answer.length, allForAny: opts?.allForAny });
      for (const rr of r.answer) out.answer.push(rr);
      out.authority = r.authority;
      out.additional = r.additional;
      out.result = r.result;
      out.next = r.next;
    }
    return out;
  }
}
