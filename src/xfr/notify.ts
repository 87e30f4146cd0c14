import type { RemoteServerConfig } from '../config/types.js';
import type { Logger } from '../observability/log.js';
import type { Keyring } from '../tsig/keyring.js';
import { Opcode, RRType } from '../wire/constants.js';
import type { Zone } from '../zone/zone.js';
import { udpExchange, endpointText } from './client.js';
import { XfrError } from './errors.js';
import type { XfrCounters } from './metrics.js';
import { endpointsOf, remoteText, type Resolve } from './remote.js';
import { buildRequest, checkAnswer } from './request.js';

/** How hard a NOTIFY is tried: the first wait, doubled after each unanswered round. */
export interface NotifyTiming {
  firstTimeoutMs: number;
  attempts: number;
}

/** 1 s, 2 s, 4 s, 8 s, 16 s: about half a minute in all (RFC 1996 §3.6 leaves it to us). */
export const notifyDefaults: NotifyTiming = { firstTimeoutMs: 1000, attempts: 5 };

export interface NotifySenderOptions {
  keyring: Keyring;
  log: Logger;
  counters: XfrCounters;
  resolve: Resolve;
  /** Wall clock in seconds (TSIG). */
  now: () => number;
  timing?: NotifyTiming;
}

/**
 * Sends NOTIFY (RFC 1996) for a zone to its configured targets over UDP, signed with the
 * target's key, each retried with doubling waits until it is answered. A newer change of the
 * same zone replaces a NOTIFY still being retried (the secondary only needs the latest).
 * An answer other than NOERROR ends the retries: that secondary will not listen.
 */
export class NotifySender {
  readonly #opts: NotifySenderOptions;
  readonly #timing: NotifyTiming;
  /** Latest generation per zone and target: an older run stops at its next step. */
  readonly #generation = new Map<string, number>();
  #closed = false;
  readonly #abort = new AbortController();
  readonly #running = new Set<Promise<void>>();

  constructor(opts: NotifySenderOptions) {
    this.#opts = opts;
    this.#timing = opts.timing ?? notifyDefaults;
  }

  /** Notifies every target of `zone`'s current version. */
  notify(zone: Zone, targets: readonly RemoteServerConfig[]): void {
    if (this.#closed) return;
    for (const target of targets) {
      const id = `${zone.key} ${remoteText(target)}`;
      const gen = (this.#generation.get(id) ?? 0) + 1;
      this.#generation.set(id, gen);
      const run = this.#send(zone, target, () => this.#closed || this.#generation.get(id) !== gen);
      this.#running.add(run);
      void run.finally(() => this.#running.delete(run));
    }
  }

  /** Stops retrying; resolves when every NOTIFY in flight has given up. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#abort.abort();
    await Promise.all([...this.#running]);
  }

  async #send(zone: Zone, target: RemoteServerConfig, superseded: () => boolean): Promise<void> {
    const { keyring, log, counters, resolve, now } = this.#opts;
    const key = target.key === null ? null : keyring.get(target.key) ?? null;
    const soa = zone.soa.rrs[0]!;
    let wait = this.#timing.firstTimeoutMs;
    let last = 'no address';
    for (let attempt = 0; attempt < this.#timing.attempts; attempt++, wait *= 2) {
      if (superseded()) return;
      const endpoints = await endpointsOf(target, resolve);
      if (endpoints.length === 0) last = `${target.address} does not resolve`;
      for (const ep of endpoints) {
        if (superseded()) return;
        const req = buildRequest({ opcode: Opcode.Notify, zone: zone.origin, qtype: RRType.SOA, answer: [soa], aa: true }, key, now());
        try {
          checkAnswer(await udpExchange(ep, req.wire, wait, this.#abort.signal), req, now());
          counters.notifyOut.inc(zone.key, 'ok');
          log.debug({ zone: zone.origin, serial: zone.serial, target: endpointText(ep) }, 'notify acknowledged');
          return;
        } catch (err) {
          last = `${endpointText(ep)}: ${(err as Error).message}`;
          if (err instanceof XfrError && err.code !== 'HZ_ERR_XFR_TIMEOUT' && err.code !== 'HZ_ERR_XFR_NETWORK') {
            return this.#failed(zone, target, last); // answered, but no: retrying will not help
          }
        }
      }
      if (endpoints.length === 0) await delay(wait, this.#abort.signal);
    }
    this.#failed(zone, target, last);
  }

  #failed(zone: Zone, target: RemoteServerConfig, why: string): void {
    this.#opts.counters.notifyOut.inc(zone.key, 'failed');
    this.#opts.log.warn({ zone: zone.origin, serial: zone.serial, target: remoteText(target) }, `notify not acknowledged: ${why}`);
  }
}

/** Waits `ms`, or less when `signal` aborts. */
export function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve();
    }, ms);
    const stop = (): void => {
      clearTimeout(timer);
      resolve();
    };
    signal.addEventListener('abort', stop, { once: true });
  });
}


