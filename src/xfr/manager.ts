import { join } from 'node:path';
import { fileBase } from '../config/sections/replication.js';
import type { Config, JournalOnCorrupt, ZoneConfig } from '../config/types.js';
import type { Logger } from '../observability/log.js';
import type { Keyring } from '../tsig/keyring.js';
import { isSubdomain, labelCount } from '../wire/name.js';
import { ZoneStore } from '../zone/store.js';
import type { Zone } from '../zone/zone.js';
import { TransferPolicy } from './acl.js';
import { zoneDiff } from './diff.js';
import { openHistory, type HistoryFile } from './history-file.js';
import { historyDefaults, XfrHistory, type HistoryLimits } from './history.js';
import { XfrCounters, type SecondaryStatus } from './metrics.js';
import { NotifySender, type NotifyTiming } from './notify.js';
import { systemResolve, type Resolve } from './remote.js';
import { SecondaryZone, type SecondaryListener, type Step } from './secondary.js';
import { pullDefaults, type PullTiming } from './transfer.js';

export interface ReplicationOptions {
  keyring: Keyring;
  log: Logger;
  counters?: XfrCounters;
  /** Host name lookups for primaries and notify targets given by name. */
  resolve?: Resolve;
  /** Wall clock in ms (tests). */
  now?: () => number;
  pull?: Partial<PullTiming>;
  notify?: NotifyTiming;
  history?: HistoryLimits;
  /**
   * Keep NOTIFYs until releaseNotify(). The daemon loads its zones before it binds its ports:
   * a NOTIFY sent then makes each secondary ask for our SOA at once, before anything answers,
   * and that secondary then waits a whole SOA RETRY before it looks again.
   */
  holdNotify?: boolean;
  /**
   * Another process sends the NOTIFYs, keeps the IXFR histories and transfers secondary zones
   * (a query worker beside the worker that owns them): this one only answers from what it serves.
   */
  passive?: boolean;
}

/**
 * A ZoneStore that reports every version put into it: the UpdateManager publishes each
 * committed update into the stores attached to it, so attaching this one shows the replication
 * side every change of a primary zone, in order, with no hook in the update code.
 */
class ZoneFeed extends ZoneStore {
  readonly #changed: (old: Zone | undefined, next: Zone) => void;

  constructor(changed: (old: Zone | undefined, next: Zone) => void) {
    super();
    this.#changed = changed;
  }

  override set(zone: Zone): void {
    const old = this.get(zone.origin);
    super.set(zone);
    if (old !== zone) this.#changed(old, zone);
  }
}

/**
 * Everything replication keeps for the life of the server (a reload reconfigures it; nothing is
 * lost): the IXFR history and NOTIFY of primary zones, and the secondary zones with their timers
 * and transferred data.
 *
 * Wiring (see the report in docs/replication.md "For code"):
 * - `updates.attach(replication.feed)` once, so dynamic updates are seen;
 * - on every (re)load, after `updates.adopt()`: `adopt(config, servedPrimaryZones, keyring)`;
 * - `attach(store, zoneConfigs)` for every ZoneStore that serves zones (global and per view), and
 *   `detach(store)` when its runtime closes: secondary zones are published into them.
 */
export class ReplicationManager {
  readonly counters: XfrCounters;
  /** Attach to the UpdateManager; adopt() fills it with the primary zones as served. */
  readonly feed: ZoneStore;
  readonly #log: Logger;
  readonly #resolve: Resolve;
  readonly #now: () => number;
  readonly #pull: PullTiming;
  readonly #historyLimits: HistoryLimits;
  readonly #notifier: NotifySender;
  #keyring: Keyring;
  #configs = new Map<string, ZoneConfig>();
  #policies = new Map<string, TransferPolicy>();
  readonly #histories = new Map<string, XfrHistory>();
  /** The files the histories of primary zones are kept in (`<dataDir>/<zone>.ixfr`). */
  readonly #historyFiles = new Map<string, HistoryFile>();
  /** `server.dataDir` of the latest adopt(). */
  #dataDir: string | null = null;
  /** `server.journal.onCorrupt` of the latest adopt() (zones may override). */
  #onCorrupt: JournalOnCorrupt = 'refuse';
  /** Primary zones whose history file is damaged and left alone (history in memory only). */
  readonly #damagedHistories = new Set<string>();
  readonly #secondaries = new Map<string, SecondaryZone>();
  /** Secondary zones configured but not served now (before their first transfer, or expired). */
  readonly #unavailable = new Set<string>();
  /** Every store we publish into, with the secondary zones it serves. */
  readonly #stores = new Map<ZoneStore, Set<string>>();
  readonly #listener: SecondaryListener;
  /** NOTIFYs kept until releaseNotify(), latest version per zone; null: sent at once. */
  #held: Map<string, Zone> | null;
  readonly #passive: boolean;
  #closed = false;

  constructor(opts: ReplicationOptions) {
    this.counters = opts.counters ?? new XfrCounters();
    this.#log = opts.log.child({ component: 'xfr' });
    this.#keyring = opts.keyring;
    this.#resolve = opts.resolve ?? systemResolve;
    this.#now = opts.now ?? Date.now;
    this.#pull = { ...pullDefaults, ...opts.pull };
    this.#historyLimits = opts.history ?? historyDefaults;
    this.#held = opts.holdNotify ? new Map() : null;
    this.#passive = opts.passive ?? false;
    const self = this;
    this.#notifier = new NotifySender({
      get keyring() { return self.#keyring; },
      log: this.#log, counters: this.counters, resolve: this.#resolve,
      now: () => this.#now() / 1000,
      ...(opts.notify ? { timing: opts.notify } : {}),
    });
    this.feed = new ZoneFeed((old, next) => this.#primaryChanged(old, next));
    this.#listener = {
      changed: (sz, zone, steps) => this.#secondaryChanged(sz, zone, steps),
      availability: (sz) => this.#publish(sz),
    };
  }

  /**
   * Takes a (re)loaded configuration. `primaries` are the primary zones as served (after the
   * update layer), put into `feed`: a version with a new serial is NOTIFYed and, when transfers
   * are allowed, its difference kept for IXFR. Secondary zones are started, reconfigured, or
   * stopped when no longer configured. A zone name configured differently in several views
   * takes the first configuration (global zones first).
   */
  adopt(config: Config, primaries: Iterable<Zone>, keyring: Keyring): void {
    this.#keyring = keyring;
    this.#dataDir = config.server.dataDir;
    this.#onCorrupt = config.server.journal.onCorrupt;
    const configs = new Map<string, ZoneConfig>();
    for (const zc of [...config.zones, ...config.views.list.flatMap((v) => v.zones)]) {
      const first = configs.get(zc.name);
      if (first === undefined) configs.set(zc.name, zc);
      else if (first !== zc && (first.type !== zc.type || zc.type === 'secondary')) {
        this.#log.warn({ zone: zc.name }, 'zone configured more than once with replication settings; the first configuration is used');
      }
    }
    this.#configs = configs;
    this.#policies = new Map([...configs].filter(([, zc]) => zc.allowTransfer).map(([k, zc]) => [k, new TransferPolicy(zc.allowTransfer!)]));
    for (const [key, sz] of this.#secondaries) {
      const zc = configs.get(key);
      if (zc?.type === 'secondary') continue;
      // No longer a secondary here: stop publishing it (the stores of the new configuration
      // are built without it, or with the zone as a primary loads it).
      this.#secondaries.delete(key);
      this.#unavailable.delete(key);
      for (const keys of this.#stores.values()) keys.delete(key);
      void sz.close();
    }
    for (const zc of configs.values()) {
      if (zc.type !== 'secondary' || this.#passive) continue;
      const sz = this.#secondaries.get(zc.name);
      if (sz) {
        sz.reconfigure(zc);
        continue;
      }
      this.#startSecondary(zc);
    }
    const seen = new Set<string>();
    for (const z of primaries) {
      seen.add(z.key);
      if (configs.get(z.key)?.type === 'primary') this.feed.set(z);
    }
    for (const z of [...this.feed.zones()]) {
      if (!seen.has(z.key) || configs.get(z.key)?.type !== 'primary') this.feed.delete(z.key);
    }
    for (const [key, h] of this.#histories) {
      if (this.#policies.has(key)) continue;
      h.reset(null); // empties its file: the data may change while it is not kept
      this.#histories.delete(key);
      this.#historyFiles.delete(key);
    }
  }

  /** Publishes the secondary zones among `configs` into `store`, now and on every change. */
  attach(store: ZoneStore, configs: readonly ZoneConfig[]): void {
    const keys = new Set(configs.filter((zc) => zc.type === 'secondary').map((zc) => zc.name));
    this.#stores.set(store, keys);
    for (const key of keys) {
      const sz = this.#secondaries.get(key);
      if (sz) this.#publishTo(store, sz);
    }
  }

  detach(store: ZoneStore): void {
    this.#stores.delete(store);
  }

  /** The configuration replication uses for a zone (lower-case FQDN). */
  zoneConfig(key: string): ZoneConfig | undefined {
    return this.#configs.get(key);
  }

  /** True when `allowTransfer` of the zone lets this client transfer it (`keyName`: its verified TSIG key). */
  transferAllowed(key: string, address: string, keyName: string | null): boolean {
    return this.#policies.get(key)?.allows(address, keyName) ?? false;
  }

  /** Primary zones whose IXFR history file is damaged and was left alone (until restart). */
  damagedHistories(): IterableIterator<string> {
    return this.#damagedHistories.values();
  }

  /** The IXFR history of a zone whose transfers are allowed. */
  history(key: string): XfrHistory | undefined {
    return this.#histories.get(key);
  }

  secondary(key: string): SecondaryZone | undefined {
    return this.#secondaries.get(key);
  }

  get keyring(): Keyring {
    return this.#keyring;
  }

  get resolve(): Resolve {
    return this.#resolve;
  }

  /** Number of secondary zones not served now (the query stages skip their check when 0). */
  get unavailableCount(): number {
    return this.#unavailable.size;
  }

  /** The deepest secondary zone that contains `qname` and is not served now, or null. */
  unavailableFor(qname: string): string | null {
    let best: string | null = null;
    for (const key of this.#unavailable) {
      if (isSubdomain(qname, key) && (best === null || labelCount(key) > labelCount(best))) best = key;
    }
    return best;
  }

  /** The state of every secondary zone, for metrics. */
  *statuses(): Generator<SecondaryStatus> {
    for (const sz of this.#secondaries.values()) yield { zone: sz.key, available: sz.available, lastContact: sz.lastContact };
  }

  /** Sends the NOTIFYs kept since start (`holdNotify`), and from now on each at once. */
  releaseNotify(): void {
    const held = this.#held;
    this.#held = null;
    for (const zone of held?.values() ?? []) this.#notify(zone);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([this.#notifier.close(), ...[...this.#secondaries.values()].map((sz) => sz.close()),
      ...[...this.#historyFiles.values()].map((f) => f.flush())]);
  }

  #startSecondary(zc: ZoneConfig): void {
    const self = this;
    const sz = new SecondaryZone(zc, {
      get keyring() { return self.#keyring; },
      log: this.#log, counters: this.counters, resolve: this.#resolve, now: this.#now, timing: this.#pull,
      listener: this.#listener,
    });
    this.#secondaries.set(zc.name, sz);
    this.#unavailable.add(zc.name);
    sz.start();
  }

  #historyOf(key: string): XfrHistory | null {
    if (!this.#policies.has(key)) return null;
    let h = this.#histories.get(key);
    if (h === undefined) this.#histories.set(key, (h = new XfrHistory(this.#historyLimits)));
    return h;
  }

  /**
   * The history of a primary zone, kept in `<dataDir>/<zone>.ixfr`. Created on the zone's first
   * version (`first`, at start or when transfers are newly allowed): the saved differences are
   * taken back when they lead to the served serial.
   */
  #primaryHistory(first: Zone): XfrHistory | null {
    const key = first.key;
    if (!this.#policies.has(key)) return null;
    const h = this.#histories.get(key);
    if (h !== undefined || this.#dataDir === null) return this.#historyOf(key);
    const onCorrupt = this.#configs.get(key)?.journal.onCorrupt ?? this.#onCorrupt;
    const durable = openHistory(join(this.#dataDir, `${fileBase(key)}.ixfr`), this.#historyLimits, first, this.#log, onCorrupt, () => {
      this.#damagedHistories.add(key);
    });
    if (durable === null) return this.#historyOf(key);
    this.#histories.set(key, durable.history);
    this.#historyFiles.set(key, durable.file);
    return durable.history;
  }

  /** A primary zone has a new version (update, reload). */
  #primaryChanged(old: Zone | undefined, next: Zone): void {
    if (this.#passive) return;
    const h = this.#primaryHistory(next);
    if (h !== null && h.latest !== next) {
      if (old === undefined || h.latest !== old) h.reset(next);
      else if (next.serial !== old.serial) h.push(next, zoneDiff(old, next));
      else if (!h.rebase(next, zoneDiff(old, next))) h.reset(next); // a reload of the same data keeps the history
    }
    if (old === undefined || next.serial !== old.serial) this.#notify(next);
  }

  /** A secondary zone received new data. */
  #secondaryChanged(sz: SecondaryZone, zone: Zone, steps: readonly Step[] | null): void {
    const h = this.#historyOf(sz.key);
    if (h !== null) {
      if (steps === null) h.reset(zone);
      else for (const s of steps) h.push(s.zone, s.diff);
    }
    this.#publish(sz);
    this.#notify(zone);
  }

  #notify(zone: Zone): void {
    if (this.#held !== null) {
      this.#held.set(zone.key, zone);
      return;
    }
    const targets = this.#configs.get(zone.key)?.notify;
    if (!this.#closed && targets && targets.length > 0) this.#notifier.notify(zone, targets);
  }

  #publish(sz: SecondaryZone): void {
    if (sz.available) this.#unavailable.delete(sz.key);
    else this.#unavailable.add(sz.key);
    for (const [store, keys] of this.#stores) if (keys.has(sz.key)) this.#publishTo(store, sz);
  }

  #publishTo(store: ZoneStore, sz: SecondaryZone): void {
    const zone = sz.zone;
    if (zone !== null) {
      if (store.get(sz.key) !== zone) store.set(zone);
    } else if (store.get(sz.key) !== undefined) {
      store.delete(sz.key);
    }
  }
}
