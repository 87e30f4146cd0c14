import { isIP } from 'node:net';
import type { RemoteServerConfig, ZoneConfig } from '../config/types.js';
import type { Logger } from '../observability/log.js';
import type { Keyring } from '../tsig/keyring.js';
import { serialGt } from '../update/serial.js';
import { RClass } from '../wire/constants.js';
import { formatIssue } from '../zone/errors.js';
import type { Zone } from '../zone/zone.js';
import { endpointText, type Endpoint } from './client.js';
import { loadCopy, saveCopy, touchCopy } from './copy.js';
import { serialOf } from './diff.js';
import type { XfrCounters } from './metrics.js';
import { endpointsOf, remoteText, type Resolve } from './remote.js';
import { soaTimers } from './soa.js';
import { pullZone, querySoa, type PullContext, type PullTiming, type Step } from './transfer.js';
import { codeOf } from '../errors/index.js';

export type { Step } from './transfer.js';

/** What a secondary zone tells its owner. */
export interface SecondaryListener {
  /** New data: `steps` lead one by one from the previous version (IXFR); null after a full transfer or a load. */
  changed(sz: SecondaryZone, zone: Zone, steps: readonly Step[] | null): void;
  /** The zone started or stopped being served without new data (expired, or confirmed again). */
  availability(sz: SecondaryZone): void;
}

export interface SecondaryDeps {
  readonly keyring: Keyring;
  readonly log: Logger;
  readonly counters: XfrCounters;
  readonly resolve: Resolve;
  /** Wall clock, ms since the epoch. */
  readonly now: () => number;
  readonly timing: PullTiming;
  readonly listener: SecondaryListener;
}

/** Waits before the first transfer while no SOA tells us the retry interval: 2 s doubling to 1 min. */
const FIRST_RETRY_MS = 2000;
const MAX_FIRST_RETRY_MS = 60_000;
/** Several transfers close together are saved once. */
const SAVE_DELAY_MS = 500;

/**
 * A secondary zone (RFC 1034 §4.3.5, RFC 1996): loads its saved copy at start (served at once if
 * it has not expired), then checks the primaries' SOA every REFRESH seconds (RETRY after a
 * failure, at once on a NOTIFY from a primary) and transfers when their serial is newer: IXFR
 * from what it has, AXFR when it has nothing or the IXFR fails. A transfer is applied only once
 * complete; one that breaks off leaves the served version untouched. EXPIRE seconds after the
 * last confirmation from a primary the zone stops being served (queries get SERVFAIL) until a
 * primary answers again.
 */
export class SecondaryZone {
  readonly origin: string;
  readonly key: string;
  #config: ZoneConfig;
  readonly #deps: SecondaryDeps;
  readonly #abort = new AbortController();
  #zone: Zone | null = null;
  #available = false;
  #confirmedAt = 0;
  #refreshTimer: NodeJS.Timeout | null = null;
  #expireTimer: NodeJS.Timeout | null = null;
  #saveTimer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #again = false;
  #closed = false;
  #failures = 0;
  /** Addresses of the primaries as last resolved: a NOTIFY from one of them is accepted. */
  #primaryAddresses = new Set<string>();

  constructor(config: ZoneConfig, deps: SecondaryDeps) {
    this.origin = config.name;
    this.key = config.name;
    this.#config = config;
    this.#deps = deps;
    this.#primaryAddresses = literalAddresses(config.primaries);
  }

  get config(): ZoneConfig {
    return this.#config;
  }

  /** The version to serve, or null before the first transfer and once expired. */
  get zone(): Zone | null {
    return this.#available ? this.#zone : null;
  }

  /** The last version received, served or not (an expired zone keeps it as the IXFR base). */
  get held(): Zone | null {
    return this.#zone;
  }

  get available(): boolean {
    return this.#available;
  }

  /** When a primary last confirmed the data (ms since the epoch), 0 when never. */
  get lastContact(): number {
    return this.#confirmedAt;
  }

  /** Loads the saved copy and starts refreshing. */
  start(): void {
    const log = this.#deps.log;
    try {
      const copy = loadCopy(this.#config.file, this.origin);
      if (copy) {
        this.#zone = copy.zone;
        this.#confirmedAt = copy.confirmedAt;
        const age = this.#deps.now() - copy.confirmedAt;
        this.#available = age < soaTimers(copy.zone).expire * 1000;
        log.info({ zone: this.origin, serial: copy.zone.serial, ageSeconds: Math.round(age / 1000), served: this.#available },
          this.#available ? 'secondary zone served from its saved copy' : 'saved copy of the secondary zone has expired; waiting for a primary');
        if (this.#available) this.#deps.listener.changed(this, copy.zone, null);
        this.#armExpire();
      }
    } catch (err) {
      log.error({ zone: this.origin, file: this.#config.file, code: codeOf(err) }, `saved copy of the secondary zone not loaded: ${(err as Error).message}`);
    }
    this.#schedule(0);
  }

  /** Takes a reloaded configuration (primaries, keys, file); the data stays. */
  reconfigure(config: ZoneConfig): void {
    this.#config = config;
    for (const a of literalAddresses(config.primaries)) this.#primaryAddresses.add(a);
  }

  /**
   * True when a NOTIFY from `address` (signed with the verified key `keyName`, or null) comes
   * from a primary: its address, or a primary's key (RFC 1996 §3.10 leaves the check to us).
   */
  acceptsNotify(address: string, keyName: string | null): boolean {
    if (keyName !== null && this.#config.primaries.some((p) => p.key === keyName)) return true;
    return this.#primaryAddresses.has(address);
  }

  /** A primary said the zone changed: check now (or again right after the check running now). */
  notified(): void {
    if (this.#closed) return;
    if (this.#running) this.#again = true;
    else this.#schedule(0);
  }

  /** Runs one refresh now (or joins the one running); resolves when it is over. */
  refresh(): Promise<void> {
    if (this.#running) return this.#running;
    if (this.#refreshTimer) clearTimeout(this.#refreshTimer);
    this.#refreshTimer = null;
    this.#running = this.#cycle().catch((err: Error) => {
      this.#deps.log.error({ zone: this.origin, err }, 'secondary zone refresh failed unexpectedly');
      this.#schedule(this.#zone ? soaTimers(this.#zone).retry * 1000 : MAX_FIRST_RETRY_MS);
    }).finally(() => {
      this.#running = null;
      if (this.#again && !this.#closed) {
        this.#again = false;
        this.#schedule(0);
      }
    });
    return this.#running;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#abort.abort();
    for (const t of [this.#refreshTimer, this.#expireTimer]) if (t) clearTimeout(t);
    await this.#running?.catch(() => {});
    if (this.#saveTimer) {
      clearTimeout(this.#saveTimer);
      this.#save();
    }
  }

  async #cycle(): Promise<void> {
    const { log, counters } = this.#deps;
    let why = 'no primary address';
    for (const { remote, ep } of await this.#targets()) {
      if (this.#closed) return;
      const c = this.#pullContext(remote);
      try {
        const soa = await querySoa(ep, c);
        if (this.#zone && !serialGt(serialOf(soa), this.#zone.serial)) {
          counters.received.inc(this.key, 'uptodate');
          this.#confirm(false);
        } else {
          await this.#pullAndApply(ep, c);
        }
        this.#failures = 0;
        this.#schedule(soaTimers(this.#zone!).refresh * 1000);
        return;
      } catch (err) {
        why = `${endpointText(ep)}: ${(err as Error).message}`;
        if (!this.#closed) log.warn({ zone: this.origin, primary: endpointText(ep), code: codeOf(err) }, `refresh from primary failed: ${(err as Error).message}`);
      }
    }
    if (this.#closed) return;
    counters.failures.inc(this.key, 'failed');
    this.#failures++;
    const retry = this.#zone ? soaTimers(this.#zone).retry * 1000 : Math.min(FIRST_RETRY_MS * 2 ** (this.#failures - 1), MAX_FIRST_RETRY_MS);
    log.warn({ zone: this.origin, retryInSeconds: retry / 1000 }, `no primary could refresh the zone (${why})`);
    this.#schedule(retry);
  }

  async #pullAndApply(ep: Endpoint, c: PullContext): Promise<void> {
    const { log, counters, listener } = this.#deps;
    const from = endpointText(ep);
    const r = await pullZone(ep, c, this.#zone, (why) => log.info({ zone: this.origin, primary: from }, `IXFR failed (${why}); trying AXFR`));
    if (r.kind === 'uptodate') {
      counters.received.inc(this.key, 'uptodate');
      this.#confirm(false);
      return;
    }
    this.#zone = r.zone;
    this.#confirm(true);
    counters.received.inc(this.key, r.kind);
    if (r.kind === 'axfr') {
      for (const w of r.warnings) log.debug({ zone: this.origin }, formatIssue(w));
      log.info({ zone: this.origin, serial: r.zone.serial, type: 'axfr', records: r.records, primary: from }, 'zone transferred');
      listener.changed(this, r.zone, null);
    } else {
      log.info({ zone: this.origin, serial: r.zone.serial, type: 'ixfr', differences: r.steps.length, records: r.changes, primary: from }, 'zone transferred');
      listener.changed(this, r.zone, r.steps);
    }
  }

  /** A primary confirmed our data (`changed`: with new data, to be saved). */
  #confirm(changed: boolean): void {
    this.#confirmedAt = this.#deps.now();
    if (changed) {
      this.#available = true;
      this.#saveTimer ??= setTimeout(() => {
        this.#saveTimer = null;
        this.#save();
      }, SAVE_DELAY_MS);
    } else {
      if (this.#saveTimer === null) touchCopy(this.#config.file, this.#confirmedAt);
      if (!this.#available && this.#zone) {
        this.#available = true;
        this.#deps.log.info({ zone: this.origin, serial: this.#zone.serial }, 'secondary zone confirmed by a primary; served again');
        this.#deps.listener.availability(this);
      }
    }
    this.#armExpire();
  }

  #save(): void {
    if (this.#zone === null) return;
    try {
      saveCopy(this.#config.file, this.#zone, this.#confirmedAt);
    } catch (err) {
      this.#deps.log.error({ zone: this.origin, file: this.#config.file, code: codeOf(err) }, `secondary zone copy not saved: ${(err as Error).message}`);
    }
  }

  #armExpire(): void {
    if (this.#expireTimer) clearTimeout(this.#expireTimer);
    this.#expireTimer = null;
    if (this.#zone === null || !this.#available || this.#closed) return;
    const left = this.#confirmedAt + soaTimers(this.#zone).expire * 1000 - this.#deps.now();
    this.#expireTimer = setTimeout(() => this.#expire(), clampMs(left));
  }

  #expire(): void {
    this.#expireTimer = null;
    if (!this.#available) return;
    this.#available = false;
    this.#deps.log.error({ zone: this.origin, serial: this.#zone?.serial, lastContact: new Date(this.#confirmedAt).toISOString() },
      'secondary zone expired: no primary confirmed it within the SOA expire time; answering SERVFAIL until one does');
    this.#deps.listener.availability(this);
  }

  #schedule(ms: number): void {
    if (this.#closed) return;
    if (this.#refreshTimer) clearTimeout(this.#refreshTimer);
    this.#refreshTimer = setTimeout(() => {
      this.#refreshTimer = null;
      void this.refresh();
    }, clampMs(ms));
  }

  /** The primaries' current addresses, in configured order (host names looked up now). */
  async #targets(): Promise<{ remote: RemoteServerConfig; ep: Endpoint }[]> {
    const out: { remote: RemoteServerConfig; ep: Endpoint }[] = [];
    const addresses = literalAddresses(this.#config.primaries);
    for (const remote of this.#config.primaries) {
      for (const ep of await endpointsOf(remote, this.#deps.resolve)) {
        out.push({ remote, ep });
        addresses.add(ep.address);
      }
    }
    this.#primaryAddresses = addresses;
    if (out.length === 0) this.#deps.log.warn({ zone: this.origin, primaries: this.#config.primaries.map(remoteText) }, 'no primary address could be found');
    return out;
  }

  #pullContext(remote: RemoteServerConfig): PullContext {
    const key = remote.key === null ? null : this.#deps.keyring.get(remote.key) ?? null;
    return {
      zone: this.origin, zoneClass: RClass.IN, key, timing: this.#deps.timing, signal: this.#abort.signal,
      now: () => this.#deps.now() / 1000,
    };
  }
}

function literalAddresses(primaries: readonly RemoteServerConfig[]): Set<string> {
  return new Set(primaries.filter((p) => isIP(p.address) !== 0).map((p) => p.address));
}

/** setTimeout's range: 0 .. 2^31-1 ms (about 24.8 days). */
function clampMs(ms: number): number {
  return Math.min(Math.max(0, Math.round(ms)), 0x7fffffff);
}
