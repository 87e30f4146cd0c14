import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalName } from '../wire/name.js';
import type { ZoneConfig } from '../config/types.js';
import type { Logger } from '../observability/log.js';
import type { ZoneStore } from '../zone/store.js';
import type { Zone } from '../zone/zone.js';
import { UpdateAudit } from './audit.js';
import { DynamicZone } from './dynamic-zone.js';
import { Journal } from './journal.js';
import type { JournalRecord } from './journal-format.js';
import { UpdateCounters } from './metrics.js';
import { ReplayGuard } from './replay.js';

export interface UpdateManagerOptions {
  /** Directory of the journals (config `server.dataDir`); created when missing. */
  dataDir: string;
  log: Logger;
  /** Read the journals without writing anything (e.g. `horizond zone dump` beside a running server). */
  readOnly?: boolean;
  counters?: UpdateCounters;
  /** Wall clock in ms (tests). */
  now?: () => number;
  /** Journal bytes appended since the last snapshot that trigger a compaction. Default 1 MiB. */
  compactBytes?: number;
  /** How often scavenging runs for zones that enable it, in ms. Default 60 s. */
  scavengeEvery?: number;
  /** Sees the records of every committed batch, once durable; the updates are answered when it settles. */
  committed?: (zone: string, records: readonly JournalRecord[]) => void | Promise<void>;
}

/**
 * The dynamic data of every zone that takes updates, owned by the server for its whole life: a
 * reload builds a new Runtime, but the zones with their journaled updates stay here. A zone is
 * managed when its config has an `update` policy or a journal for it exists (data already
 * registered stays served even if updates are switched off).
 *
 * Wiring: `adopt()` the loaded zones before building the ZoneStores, `attach()` every store
 * that serves them (global and per view), `detach()` them when that runtime closes.
 */
export class UpdateManager {
  readonly counters: UpdateCounters;
  readonly audit: UpdateAudit;
  /** Shared by every runtime so a reload does not reopen the replay window. */
  readonly replay = new ReplayGuard();
  readonly #dataDir: string;
  readonly #readOnly: boolean;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #compactBytes: number;
  readonly #scavengeEvery: number;
  readonly #committed: ((zone: string, records: readonly JournalRecord[]) => void | Promise<void>) | null;
  readonly #zones = new Map<string, DynamicZone>();
  /** Apexes of every zone of the latest adopt(), managed or not (NOTAUTH vs REFUSED). */
  #served = new Set<string>();
  readonly #stores = new Set<ZoneStore>();
  #timer: NodeJS.Timeout | null = null;

  constructor(opts: UpdateManagerOptions) {
    this.#dataDir = opts.dataDir;
    this.#readOnly = opts.readOnly ?? false;
    this.#log = opts.log.child({ component: 'update' });
    this.counters = opts.counters ?? new UpdateCounters();
    this.audit = new UpdateAudit(this.#log, this.counters);
    this.#now = opts.now ?? Date.now;
    this.#compactBytes = opts.compactBytes ?? 1024 * 1024;
    this.#scavengeEvery = opts.scavengeEvery ?? 60_000;
    this.#committed = opts.committed ?? null;
  }

  /**
   * Applies records the process that owns the journals committed (this manager is read-only):
   * a zone this process does not manage (yet) is skipped, its journal is read when it is adopted.
   */
  applyCommitted(zone: string, records: readonly JournalRecord[]): void {
    this.#zones.get(zone)?.applyCommitted(records);
  }

  /**
   * Takes the zones of a (re)load and returns the versions to serve, in the same order: managed
   * zones come back with their dynamic data on top (a new zone file keeps the dynamic records),
   * the others unchanged. Zones no longer configured are closed. Journals are opened and
   * replayed on first sight; a corrupt tail is cut and reported.
   */
  adopt(configs: readonly ZoneConfig[], zones: readonly Zone[]): Zone[] {
    const byKey = new Map(zones.map((z) => [z.key, z]));
    this.#served = new Set(byKey.keys());
    const out = new Map<Zone, Zone>();
    for (const zc of configs) {
      const zone = byKey.get(zc.name);
      if (!zone) continue;
      let dz = this.#zones.get(zone.key);
      if (dz) {
        out.set(zone, dz.adopt(zc, zone));
        continue;
      }
      const path = this.journalPath(zone.key);
      if (zc.update === null && !existsSync(path)) continue;
      dz = this.#open(zc, zone, path);
      this.#zones.set(zone.key, dz);
      out.set(zone, dz.current);
    }
    for (const [key, dz] of this.#zones) {
      if (byKey.has(key)) continue;
      this.#zones.delete(key);
      void dz.close();
    }
    this.#schedule();
    return zones.map((z) => out.get(z) ?? z);
  }

  /** Starts publishing new versions into `store` (and brings it up to date now). */
  attach(store: ZoneStore): void {
    this.#stores.add(store);
    for (const dz of this.#zones.values()) this.#publishTo(store, dz);
  }

  detach(store: ZoneStore): void {
    this.#stores.delete(store);
  }

  /** The managed zone whose apex is `name` (any case), if any. */
  zone(name: string): DynamicZone | undefined {
    return this.#zones.get(canonicalName(name));
  }

  /** True when the latest adopt() had a zone with this apex (lower-case FQDN). */
  serves(key: string): boolean {
    return this.#served.has(key);
  }

  zones(): IterableIterator<DynamicZone> {
    return this.#zones.values();
  }

  /** The journal file of a zone: `<dataDir>/<zone>.journal`, unusual characters %-escaped. */
  journalPath(key: string): string {
    const base = key === '.' ? 'root' : key.slice(0, -1).replace(/[^a-z0-9._-]/g, (c) => '%' + c.charCodeAt(0).toString(16).padStart(2, '0'));
    return join(this.#dataDir, `${base}.journal`);
  }

  /** Finishes queued updates and closes every journal; later updates get SERVFAIL. */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await Promise.all([...this.#zones.values()].map((dz) => dz.close()));
  }

  #open(zc: ZoneConfig, zone: Zone, path: string): DynamicZone {
    if (!this.#readOnly) mkdirSync(this.#dataDir, { recursive: true });
    const { journal, records, cut } = Journal.open(path, this.#readOnly);
    if (cut) {
      this.counters.journalTailsCut++;
      const what = this.#readOnly ? 'ignored' : 'cut off';
      this.#log.error({ zone: zone.origin, journal: path, offset: cut.offset, bytes: cut.bytes },
        `journal damaged: ${cut.problem}; ${cut.bytes} byte(s) after the last good record were ${what} (${records.length} good record(s) kept)`);
    }
    const dz = new DynamicZone({
      config: zc, staticZone: zone, journal, records, audit: this.audit, now: this.#now, compactBytes: this.#compactBytes,
      publish: (z) => { for (const s of this.#stores) this.#publishTo(s, z); },
      ...(this.#committed ? { committed: (z: DynamicZone, r: readonly JournalRecord[]) => this.#committed!(z.key, r) } : {}),
    });
    if (records.length > 0) {
      this.#log.info({ zone: zone.origin, records: records.length, rrsets: dz.dynamicSize, serial: dz.current.serial }, 'journal replayed');
    }
    return dz;
  }

  #publishTo(store: ZoneStore, dz: DynamicZone): void {
    const cur = store.get(dz.key);
    if (cur !== undefined && cur !== dz.current && dz.produced.has(cur)) store.set(dz.current);
  }

  #schedule(): void {
    const any = [...this.#zones.values()].some((dz) => dz.config.update?.scavenge.enabled);
    if (!any || this.#readOnly) {
      if (this.#timer) clearInterval(this.#timer);
      this.#timer = null;
      return;
    }
    this.#timer ??= setInterval(() => {
      for (const dz of this.#zones.values()) {
        const s = dz.config.update?.scavenge;
        if (s?.enabled) dz.scavenge(s.grace);
      }
    }, this.#scavengeEvery).unref();
  }
}
