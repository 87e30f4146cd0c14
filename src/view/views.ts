import { EcsScope } from './ecs-scope.js';
import type { ViewConfig, ViewsConfig, ZoneConfig } from '../config/types.js';
import { DomainMap } from '../wire/domain-map.js';
import { EdnsOption } from '../wire/constants.js';
import type { QueryView } from '../wire/query-view.js';
import { LookupResult, type LookupOptions } from '../zone/lookup.js';
import { ZoneStore, type StoreAnswer } from '../zone/store.js';
import type { Zone } from '../zone/zone.js';
import { PrefixTrie } from './prefix-trie.js';
import { AddressTranslation } from './translation.js';

/**
 * Split-horizon views compiled from config: which zones a client sees, whether it may recurse,
 * and which address translations its answers get. Selection is a longest-prefix match on the
 * client address (ties: config order), or on the EDNS Client Subnet of a trusted forwarder.
 */

/** Hot-path counters of one view: plain integers, read at scrape time. */
export class ViewCounters {
  /** Queries that selected this view. */
  queries = 0;
  /** Answers in which at least one address was translated. */
  translatedAnswers = 0;
  /** A/AAAA records and SVCB hints translated. */
  translatedAddresses = 0;
  /** PTR questions answered from the external address's reverse name (translateReverse). */
  reverseRewrites = 0;
  /** Forwarded answers whose CNAME chain was completed from this view's zones. */
  localChains = 0;
}

/** The question a client asked before translateReverse replaced it (kept for the way out). */
export interface ReverseQuestion {
  /** The client's query as it arrived. */
  readonly original: Buffer;
  /** The reverse name the client asked for, with its letter case. */
  readonly name: string;
  /** The external address's reverse name that was resolved instead (lower case). */
  readonly external: string;
}

/** What a View is made of (a View is one too, for `withReverse`). */
export interface ViewInit {
  readonly name: string;
  /** Position in config order. */
  readonly index: number;
  readonly zones: ZoneStore;
  readonly recursion: boolean;
  readonly translation: AddressTranslation | null;
  readonly translateReverse: boolean;
  /** Apex keys (canonical FQDN) of zones whose missing names go on down the chain. */
  readonly fallthrough: ReadonlySet<string>;
  /** Apex keys of the view's own zones (those not shared with other views). */
  readonly ownZones: ReadonlySet<string>;
  /** Apexes of every zone this view serves, for matching wire names (CNAME targets). */
  readonly zoneMap: DomainMap<true>;
  readonly counters: ViewCounters;
}

/**
 * One view. Compiled once per config load and only read per query. `ctx.view` holds the view of
 * the query; a PTR query whose question translateReverse replaced holds a per-query copy with
 * `reverse` set (see `withReverse`).
 */
export class View implements ViewInit {
  readonly name: string;
  readonly index: number;
  readonly zones: ZoneStore;
  readonly recursion: boolean;
  readonly translation: AddressTranslation | null;
  readonly translateReverse: boolean;
  readonly fallthrough: ReadonlySet<string>;
  readonly ownZones: ReadonlySet<string>;
  readonly zoneMap: DomainMap<true>;
  readonly counters: ViewCounters;
  /** Set only on the per-query copy made when a PTR question was rewritten. */
  readonly reverse: ReverseQuestion | null;

  constructor(init: ViewInit, reverse: ReverseQuestion | null = null) {
    this.name = init.name;
    this.index = init.index;
    this.zones = init.zones;
    this.recursion = init.recursion;
    this.translation = init.translation;
    this.translateReverse = init.translateReverse;
    this.fallthrough = init.fallthrough;
    this.ownZones = init.ownZones;
    this.zoneMap = init.zoneMap;
    this.counters = init.counters;
    this.reverse = reverse;
  }

  /** A copy of this view for one query whose PTR question was replaced (cold path). */
  withReverse(reverse: ReverseQuestion): View {
    return new View(this, reverse);
  }

  /**
   * Zone lookup as this view answers it: the most specific zone it serves, CNAME chains across
   * its zones, and null (go on down the chain) both for names outside every zone and for names
   * a `fallthrough` zone does not hold. Fallthrough applies to NXDOMAIN only: a name the zone
   * holds without the asked type is NODATA here, so a local name never leaks its public data.
   */
  lookup(qname: string, qtype: number, opts?: LookupOptions): StoreAnswer | null {
    const r = this.zones.lookup(qname, qtype, opts);
    if (r !== null && r.result === LookupResult.NameError && r.answer.length === 0 && this.fallthrough.has(r.zone.key)) return null;
    return r;
  }
}

/** The part of a query context view selection reads and writes (QueryContext fits). */
export interface ViewClient {
  /** Client address as the transport reports it. */
  readonly address: string;
  readonly q: QueryView;
  view: unknown;
  /** SCOPE PREFIX-LENGTH for the answer's Client Subnet echo. */
  ecsScope: number;
}

const ECS_IPV4 = 1;
const ECS_IPV6 = 2;

/** All views of one config, and the compiled structures that select among them. */
export class ViewSet {
  readonly views: readonly View[];
  readonly #clients: PrefixTrie<View>;
  readonly #trusted: PrefixTrie<true> | null;
  readonly #scope: EcsScope;
  readonly #byName: ReadonlyMap<string, View>;
  readonly #global: ZoneStore;

  constructor(views: readonly View[], clients: PrefixTrie<View>, trusted: PrefixTrie<true> | null, global: ZoneStore, scope: EcsScope = new EcsScope([])) {
    this.views = views;
    this.#clients = clients;
    this.#trusted = trusted;
    this.#scope = scope;
    this.#byName = new Map(views.map((v) => [v.name, v]));
    this.#global = global;
  }

  /** The view of that name, if configured. */
  get(name: string): View | undefined {
    return this.#byName.get(name);
  }

  /**
   * True when selecting a view per query changes nothing: one view, matching every client,
   * recursion allowed, no translation and no zones of its own. The view stage is then left out
   * of the chain, and `ctx.view` stays null (read it as `views[0]`).
   */
  get trivial(): boolean {
    if (this.views.length !== 1) return false;
    const v = this.views[0]!;
    // maxBits 0: only a /0 prefix can match, so this asks "does the view match everyone".
    return v.recursion && v.translation === null && v.ownZones.size === 0 && this.#clients.lookupIPv4(0, 0) === v
      && this.#clients.lookupBytes(ZERO16, 6, 0) === v;
  }

  /** Some view translates addresses. */
  get translates(): boolean {
    return this.views.some((v) => v.translation !== null);
  }

  /** Some view answers PTR questions for internal addresses from the external names. */
  get translatesReverse(): boolean {
    return this.views.some((v) => v.translation !== null && v.translateReverse);
  }

  /** Apexes of every zone any view serves (rebinding: names we serve are ours). */
  zoneNames(): string[] {
    const names = new Set<string>();
    for (const v of this.views) for (const z of v.zones.zones()) names.add(z.key);
    return [...names];
  }

  /**
   * Picks the view of a query and stores it in `client.view`: the longest prefix covering the
   * client address, or, when the client is a trusted forwarder and the query carries an EDNS
   * Client Subnet option, the longest prefix covering that subnet (no longer than its SOURCE
   * PREFIX-LENGTH, RFC 7871 §6); when no view covers that subnet the forwarder's own address
   * decides. ECS from anyone else, and a malformed or /0 ECS option, are ignored. Null (and
   * `client.view` null) when no view matches. Allocates nothing.
   */
  select(client: ViewClient): View | null {
    let v: View | undefined;
    const q = client.q;
    if (this.#trusted !== null && q.hasEdns) {
      const at = q.findOption(EdnsOption.ClientSubnet);
      if (at >= 0 && this.#trusted.lookupString(client.address) === true) {
        v = this.#byEcs(q.buf, at, q.optionLen);
        client.ecsScope = this.#scope.of(q.buf, at, q.optionLen);
      }
    }
    if (v === undefined) v = this.#clients.lookupString(client.address);
    const view = v ?? null;
    client.view = view;
    return view;
  }

  #byEcs(buf: Buffer, at: number, len: number): View | undefined {
    if (len < 4) return undefined;
    const family = (buf[at]! << 8) | buf[at + 1]!;
    const source = buf[at + 2]!;
    if (source === 0 || len - 4 !== (source + 7) >>> 3) return undefined;
    if (family === ECS_IPV4 && source <= 32) return this.#clients.lookupBytes(buf, 4, source, at + 4);
    if (family === ECS_IPV6 && source <= 128) return this.#clients.lookupBytes(buf, 6, source, at + 4);
    return undefined;
  }

  /**
   * Puts a new version of a zone in service (dynamic update, transfer) in every store that
   * serves it: only `via`'s store when the zone is one of that view's own, else the global
   * store and every view that does not replace it with a zone of its own. Cold path.
   */
  replaceZone(zone: Zone, via: View | null = null): void {
    if (via !== null && via.ownZones.has(zone.key)) {
      via.zones.set(zone);
      return;
    }
    this.#global.set(zone);
    for (const v of this.views) if (v.zones !== this.#global && !v.ownZones.has(zone.key)) v.zones.set(zone);
  }
}

const ZERO16 = new Uint8Array(16);

/** The zones of one view: the loaded view-specific zones, by view name. */
export type OwnZones = ReadonlyMap<string, readonly Zone[]>;

/**
 * Compiles the views. `global` is the store of the global zones (Config.zones as loaded) and
 * `globalConfigs` is Config.zones itself: a view's zone entry that is one of those objects is
 * served from `global`; any other entry is the view's own and is taken from `own` (a zone that
 * failed to load is absent there and the view serves no zone of that name). A view without own
 * zones shares the `global` store object, so updates to it reach that view at once. Views of the
 * same name in `previous` (the set being reloaded) hand over their counters.
 */
export function compileViews(
  config: ViewsConfig, own: OwnZones, global: ZoneStore, globalConfigs: readonly ZoneConfig[], previous: ViewSet | null = null,
): ViewSet {
  const clients = new PrefixTrie<View>();
  const views: View[] = [];
  let order = 0;
  config.list.forEach((vc, index) => {
    const counters = previous?.get(vc.name)?.counters ?? new ViewCounters();
    const view = compileView(vc, index, own.get(vc.name) ?? [], global, globalConfigs, counters);
    views.push(view);
    for (const p of vc.match) clients.insert(p.bytes, p.length, view, order++);
  });
  let trusted: PrefixTrie<true> | null = null;
  if (config.trustedForwarders.length > 0) {
    trusted = new PrefixTrie<true>();
    for (const p of config.trustedForwarders) trusted.insert(p.bytes, p.length, true);
  }
  return new ViewSet(views, clients, trusted, global, new EcsScope(config.list.flatMap((vc, i) => vc.match.map((p) => ({ bytes: p.bytes, length: p.length, view: views[i]! })))));
}

function compileView(
  vc: ViewConfig, index: number, ownLoaded: readonly Zone[], global: ZoneStore, globalConfigs: readonly ZoneConfig[], counters: ViewCounters,
): View {
  const ownConfigs = vc.zones.filter((z) => !globalConfigs.includes(z));
  const ownZones = new Set(ownConfigs.map((z) => z.name.toLowerCase()));
  let zones = global;
  if (ownConfigs.length > 0) {
    zones = new ZoneStore();
    for (const z of global.zones()) if (!ownZones.has(z.key)) zones.set(z);
    for (const z of ownLoaded) if (ownZones.has(z.key)) zones.set(z);
  }
  const zoneMap = new DomainMap<true>();
  for (const z of zones.zones()) zoneMap.set(z.key, true);
  const rules = vc.translate.map((t) => ({ external: t.external.bytes, internal: t.internal.bytes, length: t.external.length }));
  return new View({
    name: vc.name,
    index,
    zones,
    recursion: vc.recursion,
    translation: rules.length > 0 ? new AddressTranslation(rules) : null,
    translateReverse: vc.translateReverse,
    fallthrough: new Set(vc.zones.filter((z) => z.fallthrough).map((z) => z.name.toLowerCase())),
    ownZones,
    zoneMap,
    counters,
  });
}
