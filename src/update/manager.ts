import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalName } from '../wire/name.js';
import type { JournalOnCorrupt, ZoneConfig } from '../config/types.js';
import type { Logger } from '../observability/log.js';
import type { ZoneStore } from '../zone/store.js';
import type { Zone } from '../zone/zone.js';
import { UpdateAudit } from './audit.js';
import { DynamicZone } from './dynamic-zone.js';
import { describeDamage, Journal, JournalDamagedError, type JournalDamage, type OpenedJournal } from './journal.js';
import type { JournalRecord } from './journal-format.js';
import { UpdateCounters } from './metrics.js';
import { ReplayGuard } from './replay.js';
import { maxSerial, nextSerial } from './serial.js';

/** The smallest journal record there is (header + `{"q":1,"t":1,"s":1,"k":"u","c":[]}`): bounds how many records dropped bytes held. */
const MIN_RECORD_BYTES = 42;

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
  /** Zones not served because their journal is damaged (`onCorrupt: refuse`), by apex. */
  readonly #damaged = new Map<string, JournalDamage>();
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
   * replayed on first sight; an interrupted final append is cut and reported. A zone whose
   * journal is damaged before its end is left out (not served) unless its `journal.onCorrupt`
   * (or `defaults`, from `server.journal`) is `truncate`: see failures().
   */
  adopt(configs: readonly ZoneConfig[], zones: readonly Zone[], defaults: { onCorrupt: JournalOnCorrupt } = { onCorrupt: 'refuse' }): Zone[] {
    const byKey = new Map(zones.map((z) => [z.key, z]));
    this.#served = new Set(byKey.keys());
    const out = new Map<Zone, Zone | null>();
    for (const zc of configs) {
      const zone = byKey.get(zc.name);
      if (!zone) continue;
      let dz = this.#zones.get(zone.key);
      if (dz) {
        out.set(zone, dz.adopt(zc, zone));
        continue;
      }
      const path = this.journalPath(zone.key);
      if (zc.update === null && !existsSync(path)) {
        this.#damaged.delete(zone.key);
        continue;
      }
      const opened = this.#open(zc, zone, path, zc.journal.onCorrupt ?? defaults.onCorrupt);
      if (opened === null) {
        out.set(zone, null);
        continue;
      }
      this.#zones.set(zone.key, opened);
      out.set(zone, opened.current);
    }
    for (const key of this.#damaged.keys()) if (!byKey.has(key)) this.#damaged.delete(key);
    for (const [key, dz] of this.#zones) {
      if (byKey.has(key)) continue;
      this.#zones.delete(key);
      void dz.close();
    }
    this.#schedule();
    const served: Zone[] = [];
    for (const z of zones) {
      const v = out.get(z);
      if (v !== null) served.push(v ?? z);
    }
    return served;
  }

  /** Zones left out by the latest adopt() because their journal is damaged, with what is wrong. */
  damaged(): IterableIterator<[string, JournalDamage]> {
    return this.#damaged.entries();
  }

  /** Every zone with a journal, and whether it is left out because the journal is damaged (metrics). */
  *journals(): IterableIterator<{ zone: string; damaged: boolean }> {
    for (const key of this.#zones.keys()) if (!this.#damaged.has(key)) yield { zone: key, damaged: false };
    for (const key of this.#damaged.keys()) yield { zone: key, damaged: true };
  }

  /** The same as zone load failures (name, file, message) for the runtime's report. */
  failures(): { name: string; file: string; message: string }[] {
    return [...this.#damaged].map(([name, d]) => ({ name, file: d.path, message: refusal(d) }));
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

  /** Opens and replays a zone's journal; null (reported, remembered in #damaged) when it is damaged and must not be served. */
  #open(zc: ZoneConfig, zone: Zone, path: string, onCorrupt: JournalOnCorrupt): DynamicZone | null {
    if (!this.#readOnly) mkdirSync(this.#dataDir, { recursive: true });
    let opened: OpenedJournal;
    try {
      opened = Journal.open(path, this.#readOnly, onCorrupt);
    } catch (err) {
      if (!(err instanceof JournalDamagedError)) throw err;
      this.#damaged.set(zone.key, err.damage);
      this.#log.error({ zone: zone.origin, journal: path, offset: err.damage.offset, bytes: err.damage.bytes, copy: err.damage.copy }, refusal(err.damage));
      return null;
    }
    this.#damaged.delete(zone.key);
    const { journal, records, cut, damage, createError } = opened;
    if (createError) {
      this.#log.error({ zone: zone.origin, journal: path, err: createError.message },
        'journal could not be created (disk full?): the zone is served, updates get SERVFAIL until it can be written');
    }
    if (cut) {
      this.counters.journalTailsCut++;
      const what = this.#readOnly ? 'ignored' : 'cut off';
      this.#log.warn({ zone: zone.origin, journal: path, offset: cut.offset, bytes: cut.bytes },
        `journal: an interrupted final append (never acknowledged) was ${what}: ${cut.problem} (${records.length} good record(s) kept)`);
    }
    if (damage) {
      this.counters.journalTruncations++;
      let raised: number | null = null;
      if (!this.#readOnly) {
        // Serve from the last good record, but never with a serial a dropped record may already
        // have given the zone: jump past as many increments as the dropped bytes could hold, and
        // past every serial still readable in them.
        const lost = Math.ceil(damage.bytes / MIN_RECORD_BYTES);
        let floor = (maxSerial(zone.serial, damage.keptSerial ?? zone.serial) + lost) >>> 0;
        if (damage.salvagedSerial !== null) floor = maxSerial(floor, damage.salvagedSerial);
        raised = nextSerial(floor);
        const rec: JournalRecord = { seq: damage.keptSeq + 1, time: this.#now(), serial: raised, kind: 'u', changes: [] };
        journal.appendSync([rec]);
        records.push(rec);
      }
      this.#log.error({ zone: zone.origin, journal: path, offset: damage.offset, bytes: damage.bytes, copy: damage.copy, serial: raised },
        `${describeDamage(damage)}; journal.onCorrupt is truncate: serving from the last good record` + (raised !== null ? `, serial raised to ${raised}` : ''));
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

function refusal(d: JournalDamage): string {
  return `${describeDamage(d)}; the zone is not served (journal.onCorrupt is refuse): inspect with \`horizond journal check\`, then \`horizond journal repair\` or set journal.onCorrupt: truncate`;
}
