import { RCode } from '../../wire/constants.js';
import { UpstreamError } from './errors.js';
import { Pending, type PendingQueries, type Transport, type Waiter } from './pending.js';
import { copyQuery, isTruncated, rcodeOf } from './query.js';
import type { ServerState } from './server.js';
import type { UpstreamResult } from './types.js';

/** What an exchange needs from its group. */
export interface ExchangeHost {
  readonly pending: PendingQueries;
  readonly timeoutMs: number;
  readonly attempts: number;
  readonly closed: boolean;
  /** Policy clock (health back-off). */
  policyNow(): number;
  /** TCP transport of a UDP server, for TC=1 retries. */
  tcpFor(s: ServerState): Transport;
}

/** Less budget than this left: do not start another attempt. */
const MIN_ATTEMPT_MS = 1;

/**
 * One client question answered by the group: attempts go to the ordered servers in turn (up to
 * `attempts` rounds), each bounded by the per-attempt timeout and what is left of the budget.
 *
 * Outcome semantics:
 * - NOERROR, NXDOMAIN or any other RCODE except the four below: resolved at once.
 * - UDP answer with TC=1: the same server is asked again over TCP (same attempt slot).
 * - SERVFAIL: the next server is tried; the first SERVFAIL is kept and resolved with (as wire,
 *   not an exception) only when no server gave anything better before the attempts or budget
 *   ran out. It counts as a failure in stats but not against the server's health.
 * - REFUSED, NOTIMP, FORMERR: the next server is tried; counts against health; never returned.
 * - Nothing usable: rejects with HZ_ERR_UPSTREAM_TIMEOUT when every attempt timed out (or the
 *   budget ended first), HZ_ERR_UPSTREAM_FAILED otherwise, HZ_ERR_UPSTREAM_CLOSED on shutdown.
 */
export class Exchange implements Waiter {
  readonly promise: Promise<UpstreamResult>;
  #resolve!: (r: UpstreamResult) => void;
  #reject!: (e: UpstreamError) => void;
  #pos = 0;
  #round = 0;
  readonly #deadline: number;
  #servfail: UpstreamResult | null = null;
  #reasons: string[] | null = null;
  #onlyTimeouts = true;

  constructor(
    readonly host: ExchangeHost,
    readonly template: Buffer,
    readonly qEnd: number,
    readonly order: ServerState[],
    budgetMs: number,
  ) {
    this.promise = new Promise<UpstreamResult>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#deadline = performance.now() + budgetMs;
    this.#next();
  }

  onAnswer(p: Pending, wire: Buffer): void {
    const now = performance.now();
    const rtt = now - p.sentAt;
    const s = p.server;
    if (p.transport === s.transport && s.spec.protocol === 'udp' && isTruncated(wire)) {
      s.truncated++;
      s.onAnswer(rtt, true);
      this.#attempt(s, this.host.tcpFor(s), now);
      return;
    }
    const rcode = rcodeOf(wire);
    if (rcode === RCode.ServFail) {
      s.failures++;
      s.onAnswer(rtt, false);
      this.#servfail ??= { wire, upstream: s.name, rttMs: Math.round(rtt) };
      this.#note(s, 'SERVFAIL', false);
      this.#next();
    } else if (rcode === RCode.Refused || rcode === RCode.NotImp || rcode === RCode.FormErr) {
      s.failures++;
      s.onFailure(this.host.policyNow());
      this.#note(s, rcode === RCode.Refused ? 'REFUSED' : rcode === RCode.NotImp ? 'NOTIMP' : 'FORMERR', false);
      this.#next();
    } else {
      s.onAnswer(rtt, true);
      this.#resolve({ wire, upstream: s.name, rttMs: Math.round(rtt) });
    }
  }

  onFailure(p: Pending, timeout: boolean, why: string): void {
    const s = p.server;
    if (this.host.closed) {
      this.#next();
      return;
    }
    if (timeout) s.timeouts++;
    else s.failures++;
    s.onFailure(this.host.policyNow());
    this.#note(s, why, timeout);
    this.#next();
  }

  #note(s: ServerState, why: string, timeout: boolean): void {
    (this.#reasons ??= []).push(`${s.name}: ${why}`);
    if (!timeout) this.#onlyTimeouts = false;
  }

  #next(): void {
    if (this.host.closed) {
      this.#reject(new UpstreamError('HZ_ERR_UPSTREAM_CLOSED', 'upstream group closed', this.#reasons ?? []));
      return;
    }
    const now = performance.now();
    const order = this.order;
    if (this.#round >= this.host.attempts || this.#deadline - now < MIN_ATTEMPT_MS) {
      this.#finish();
      return;
    }
    const s = order[this.#pos]!;
    if (++this.#pos === order.length) {
      this.#pos = 0;
      this.#round++;
    }
    this.#attempt(s, s.transport, now);
  }

  #attempt(s: ServerState, transport: Transport, now: number): void {
    const p = new Pending(this, s, transport, copyQuery(this.template), this.qEnd);
    p.sentAt = now;
    p.deadline = now + Math.min(this.host.timeoutMs, this.#deadline - now);
    s.queries++;
    this.host.pending.start(p);
  }

  #finish(): void {
    if (this.#servfail !== null) {
      this.#resolve(this.#servfail);
      return;
    }
    const reasons = this.#reasons ?? ['budget exhausted before any attempt'];
    if (this.#onlyTimeouts) {
      this.#reject(new UpstreamError('HZ_ERR_UPSTREAM_TIMEOUT', `no answer in time (${reasons.join('; ')})`, reasons));
    } else {
      this.#reject(new UpstreamError('HZ_ERR_UPSTREAM_FAILED', `no usable answer (${reasons.join('; ')})`, reasons));
    }
  }
}
