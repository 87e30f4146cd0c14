import { DurationHistogram } from '../../observability/histogram.js';
import type { Transport } from './pending.js';
import type { UpstreamLogger, UpstreamSpec, UpstreamStats } from './types.js';

/** Health and selection tuning shared by a group's servers. */
export interface HealthPolicy {
  downAfter: number;
  backoffMs: number;
  maxBackoffMs: number;
  /** Smallest RTT penalty for a timeout or error (the per-attempt timeout). */
  penaltyMs: number;
  logger: UpstreamLogger | undefined;
}

/** SRTT gain (Jacobson/Karels, as Unbound's infra cache and RFC 6298: 1/8). */
const SRTT_GAIN = 1 / 8;
/** Per query, the SRTT of every server that was not chosen first shrinks by this factor, so a
 *  server penalised once is tried again after a few hundred queries (BIND's ageing idea). */
const SRTT_DECAY = 0.98;
/** Penalties never push the SRTT above this many per-attempt timeouts. */
const SRTT_CAP_FACTOR = 8;

/**
 * One upstream server: selection state (SRTT, health) and counters, in the spirit of Unbound's
 * infra cache (kept apart from answers). All counters are plain numbers read at scrape time.
 */
export class ServerState {
  queries = 0;
  failures = 0;
  timeouts = 0;
  rttSum = 0;
  /** Round trips of answered queries, in seconds, for the metrics histogram. */
  readonly rtt = new DurationHistogram();
  rejected = 0;
  truncated = 0;
  connections = 0;
  /** Smoothed RTT (ms); 0 until measured, so every server is tried early. */
  srtt = 0;
  #measured = false;
  /** Consecutive failed attempts (timeouts, transport errors, REFUSED/NOTIMP/FORMERR). */
  #consecutive = 0;
  down = false;
  /** While down: when the next probe may go out (policy clock, ms). */
  downUntil = 0;
  #backoff: number;
  /** A background probe is in flight. */
  probing = false;
  /** Lazily created TCP transport for a UDP server's TC=1 retries. */
  tcp: Transport | null = null;
  transport!: Transport;

  constructor(readonly spec: UpstreamSpec, readonly policy: HealthPolicy) {
    this.#backoff = policy.backoffMs;
  }

  get name(): string {
    return this.spec.name;
  }

  /** A usable answer (or SERVFAIL) came back after `rtt` ms. */
  onAnswer(rtt: number, healthy: boolean): void {
    this.rttSum += rtt;
    this.rtt.observe(rtt / 1000);
    this.srtt = this.#measured ? this.srtt + (rtt - this.srtt) * SRTT_GAIN : rtt;
    this.#measured = true;
    if (healthy) {
      this.#consecutive = 0;
      if (this.down) this.#markUp();
    }
  }

  /** An attempt failed (timeout, transport error, unusable RCODE) at policy time `now`. */
  onFailure(now: number): void {
    const p = this.policy;
    this.srtt = Math.min(Math.max(this.srtt * 2, p.penaltyMs), p.penaltyMs * SRTT_CAP_FACTOR);
    this.#measured = true;
    this.#consecutive++;
    if (this.down) {
      this.#backoff = Math.min(this.#backoff * 2, p.maxBackoffMs);
      this.downUntil = now + this.#backoff;
    } else if (this.#consecutive >= p.downAfter) {
      this.down = true;
      this.#backoff = p.backoffMs;
      this.downUntil = now + this.#backoff;
      p.logger?.warn({ upstream: this.name, failures: this.#consecutive }, 'upstream marked down');
    }
  }

  /** Ages the SRTT of a server that was not chosen first. */
  decay(): void {
    this.srtt *= SRTT_DECAY;
  }

  #markUp(): void {
    this.down = false;
    this.#backoff = this.policy.backoffMs;
    this.policy.logger?.info({ upstream: this.name }, 'upstream up again');
  }

  stats(): UpstreamStats {
    return {
      name: this.name, queries: this.queries, failures: this.failures, timeouts: this.timeouts,
      rttSum: Math.round(this.rttSum), srttMs: Math.round(this.srtt), healthy: this.down ? 0 : 1,
      rejected: this.rejected, truncated: this.truncated, connections: this.connections, rtt: this.rtt,
    };
  }
}

/**
 * Orders servers for one query: selectable (not down) servers by ascending SRTT, ties in
 * configuration order; servers whose back-off has expired go to `probe` (probed in the
 * background, not on the client's time). When every server is down they are all used, soonest
 * back-off first, so the group never gives up without trying. Ages the SRTT of the non-first.
 */
export function orderServers(servers: readonly ServerState[], now: number, probe: ServerState[]): ServerState[] {
  const order: ServerState[] = [];
  for (const s of servers) {
    if (!s.down) insertBy(order, s, s.srtt, srttOf);
    else if (now >= s.downUntil && !s.probing) probe.push(s);
  }
  if (order.length === 0) {
    probe.length = 0;
    for (const s of servers) insertBy(order, s, s.downUntil, downUntilOf);
    return order;
  }
  for (let i = 1; i < order.length; i++) order[i]!.decay();
  return order;
}

function srttOf(s: ServerState): number {
  return s.srtt;
}
function downUntilOf(s: ServerState): number {
  return s.downUntil;
}

/** Stable insertion (server lists are short). */
function insertBy(list: ServerState[], s: ServerState, v: number, key: (s: ServerState) => number): void {
  let i = list.length;
  while (i > 0 && key(list[i - 1]!) > v) i--;
  list.splice(i, 0, s);
}
