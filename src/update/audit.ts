import type { Logger } from '../observability/log.js';
import { RCode, rcodeToString } from '../wire/constants.js';
import { OTHER_ZONE, type UpdateCounters } from './metrics.js';
import type { Failure } from './outcome.js';

/** Who asked for an update and for which zone, as the log line names them. */
export interface UpdateParty {
  readonly client: string;
  /** TSIG key name, or null when unsigned. */
  readonly key: string | null;
  /** The zone named in the zone section. */
  readonly zone: string;
  /** False when that zone is not one we serve (counted under OTHER_ZONE). */
  readonly served?: boolean;
}

/**
 * The one log line and the counter every update outcome gets. Refusals by policy and TSIG are
 * warnings; failed prerequisites are info (Kea's normal conflict handling produces them, e.g.
 * YXDOMAIN when a name is already registered); a journal failure is an error. Secrets never
 * reach the log: only key names do.
 */
export class UpdateAudit {
  readonly counters: UpdateCounters;
  readonly #log: Logger;

  constructor(log: Logger, counters: UpdateCounters) {
    this.#log = log;
    this.counters = counters;
  }

  refused(who: UpdateParty, f: Failure): void {
    this.counters.refused[f.reason]++;
    this.counters.result(who.served === false ? OTHER_ZONE : who.zone, rcodeToString(f.rcode));
    const fields = { client: who.client, key: who.key ?? '(unsigned)', zone: who.zone, reason: f.reason, rcode: rcodeToString(f.rcode) };
    const line = `update ${f.rcode === RCode.ServFail ? 'failed' : 'refused'} (${rcodeToString(f.rcode)}): ${f.detail}`;
    if (f.reason.startsWith('prereq-')) this.#log.info(fields, line);
    else if (f.rcode === RCode.ServFail) this.#log.error(fields, line);
    else this.#log.warn(fields, line);
  }

  applied(who: UpdateParty, serial: number, changes: number): void {
    this.counters.applied++;
    this.counters.result(who.zone, 'noerror');
    this.#log.info({ client: who.client, key: who.key ?? '(unsigned)', zone: who.zone, serial, rrsets: changes }, 'update applied');
  }

  unchanged(who: UpdateParty): void {
    this.counters.unchanged++;
    this.counters.result(who.zone, 'noerror');
  }

  get log(): Logger {
    return this.#log;
  }
}
