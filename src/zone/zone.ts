import { RRType } from '../wire/constants.js';
import { canonicalName, isSubdomain } from '../wire/name.js';
import type { RR } from '../wire/types.js';
import { makeNode, makeRRset, negativeSoa, soaNumbers, type RRset, type ZoneNode } from './rrset.js';
import { HzError } from '../errors/index.js';

/**
 * An immutable snapshot of one zone. Names are kept in a map from canonical FQDN to node; empty
 * non-terminals are nodes without RRsets, so "does this name exist" is one lookup. Zone cuts
 * (NS below the apex) and wildcards (`*` labels) need no separate index: lookup asks the node.
 *
 * New versions are made with `withChanges()`, which copies only the touched names and their
 * ancestors into a small overlay on top of the shared base map (copy-on-write). When the overlay
 * grows past ~4·√n entries it is folded into a fresh base, so a change costs O(√n) amortised
 * and readers of older versions are never disturbed.
 */

/** One RRset to replace in `Zone.withChanges`. An empty `rdata` deletes the RRset. */
export interface RRsetChange {
  /** Absolute owner name inside the zone (any case). */
  name: string;
  type: number;
  /** TTL of the whole new RRset (ignored when deleting). */
  ttl: number;
  /** The complete new RDATA list; duplicates are merged. */
  rdata: readonly Uint8Array[];
}

type NodeMap = ReadonlyMap<string, ZoneNode>;
type Overlay = ReadonlyMap<string, ZoneNode | null>;

export class Zone {
  /** Apex, presentation form as configured. */
  readonly origin: string;
  /** Apex, canonical form. */
  readonly key: string;
  readonly class: number;
  /** 1 for a loaded zone, +1 for each `withChanges()`. */
  readonly version: number;
  readonly soa: RRset;
  /** Apex NS RRset (null only in a zone that failed its checks). */
  readonly ns: RRset | null;
  /** SOA as put in the authority section of negative answers (RFC 2308 TTL). */
  readonly negativeSoa: RR;
  readonly serial: number;
  readonly #base: NodeMap;
  readonly #delta: Overlay;
  #cuts: string[] | null = null;
  #wildcards: string[] | null = null;

  /** Use buildZone() or withChanges(); the apex node must hold an SOA. */
  constructor(origin: string, cls: number, base: NodeMap, delta: Overlay, version: number) {
    this.origin = origin;
    this.key = canonicalName(origin);
    this.class = cls;
    this.version = version;
    this.#base = base;
    this.#delta = delta;
    const apex = this.nodeAt(this.key);
    const soa = apex?.rrsets.get(RRType.SOA);
    if (!soa) throw new HzError('HZ_ERR_ZONE_DATA', `zone ${origin}: no SOA at the apex`);
    this.soa = soa;
    this.ns = apex!.rrsets.get(RRType.NS) ?? null;
    this.negativeSoa = negativeSoa(soa);
    this.serial = soaNumbers(soa.rrs[0]!.rdata).serial;
  }

  /** The node for a canonical (lower-case) FQDN: data node, empty non-terminal, or undefined. */
  nodeAt(key: string): ZoneNode | undefined {
    if (this.#delta.size > 0) {
      const d = this.#delta.get(key);
      if (d !== undefined) return d ?? undefined;
    }
    return this.#base.get(key);
  }

  /** The node for a name in any case. */
  node(name: string): ZoneNode | undefined {
    return this.nodeAt(canonicalName(name));
  }

  rrset(name: string, type: number): RRset | undefined {
    return this.node(name)?.rrsets.get(type);
  }

  /** True when the name holds data or is an empty non-terminal. */
  exists(name: string): boolean {
    return this.node(name) !== undefined;
  }

  /** Every existing name (data nodes and empty non-terminals), in no particular order. */
  *nodes(): IterableIterator<ZoneNode> {
    for (const [k, n] of this.#base) if (!this.#delta.has(k)) yield n;
    for (const n of this.#delta.values()) if (n) yield n;
  }

  /** Every record of the zone, in no particular order. */
  records(): RR[] {
    const out: RR[] = [];
    for (const n of this.nodes()) for (const s of n.rrsets.values()) out.push(...s.rrs);
    return out;
  }

  /** Owner names of delegations (NS RRsets below the apex), canonical form. */
  get zoneCuts(): readonly string[] {
    this.#cuts ??= [...this.nodes()].filter((n) => n.key !== this.key && n.rrsets.has(RRType.NS)).map((n) => n.key);
    return this.#cuts;
  }

  /** Names whose first label is `*`, canonical form. */
  get wildcards(): readonly string[] {
    this.#wildcards ??= [...this.nodes()].filter((n) => n.key.startsWith('*.')).map((n) => n.key);
    return this.#wildcards;
  }

  /**
   * A new version with the given RRsets replaced or deleted; this version is unchanged. Names
   * that lose their last RRset disappear (with any empty non-terminals above them that no longer
   * lead anywhere). Throws RangeError for names outside the zone or removal of the apex SOA.
   * Changes apply in order, so a later change to the same RRset wins.
   */
  withChanges(changes: Iterable<RRsetChange>): Zone {
    const work = new Map<string, ZoneNode | null>(this.#delta);
    const get = (k: string): ZoneNode | undefined => {
      const d = work.get(k);
      return d !== undefined ? d ?? undefined : this.#base.get(k);
    };
    for (const c of changes) {
      if (!isSubdomain(c.name, this.origin)) throw new HzError('HZ_ERR_ZONE_DATA', `${c.name} is not in zone ${this.origin}`);
      const key = canonicalName(c.name);
      const old = get(key);
      if (key === this.key && c.type === RRType.SOA && c.rdata.length !== 1) {
        throw new HzError('HZ_ERR_ZONE_DATA', `zone ${this.origin}: the apex must keep exactly one SOA record`);
      }
      const rrsets = new Map(old?.rrsets);
      const name = old?.name ?? c.name;
      if (c.rdata.length === 0) rrsets.delete(c.type);
      else rrsets.set(c.type, makeRRset(name, c.type, this.class, c.ttl, c.rdata));
      const below = old?.below ?? 0;
      work.set(key, rrsets.size === 0 && below === 0 ? null : makeNode(name, key, rrsets, below));
      const had = old !== undefined && old.rrsets.size > 0;
      if (had !== rrsets.size > 0) this.#adjustAncestors(work, get, key, c.name, rrsets.size > 0 ? 1 : -1);
    }
    let base = this.#base;
    let delta: Overlay = work;
    if (work.size > 64 + 4 * Math.sqrt(base.size)) {
      const merged = new Map(base);
      for (const [k, n] of work) if (n) merged.set(k, n); else merged.delete(k);
      base = merged;
      delta = new Map();
    }
    return new Zone(this.origin, this.class, base, delta, this.version + 1);
  }

  /** Adds `by` to the `below` count of every ancestor of `key` down to the apex. */
  #adjustAncestors(
    work: Map<string, ZoneNode | null>,
    get: (k: string) => ZoneNode | undefined,
    key: string,
    name: string,
    by: 1 | -1,
  ): void {
    let k = key;
    let n = name;
    while (k !== this.key) {
      k = parentKey(k);
      n = parentKey(n);
      const a = get(k);
      const below = (a?.below ?? 0) + by;
      const rrsets = a?.rrsets ?? new Map<number, RRset>();
      work.set(k, below === 0 && rrsets.size === 0 ? null : makeNode(a?.name ?? n, k, rrsets, below));
    }
  }
}

/** `a.b.c.` → `b.c.`, `a.` → `.` (escaped dots respected). */
export function parentKey(name: string): string {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x5c) { i++; continue; }
    if (c === 0x2e) return i + 1 >= name.length ? '.' : name.slice(i + 1);
  }
  return '.';
}
