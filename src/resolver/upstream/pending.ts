import type { ServerState } from './server.js';

/** Receives the outcome of one attempt (exactly one call per Pending). */
export interface Waiter {
  onAnswer(p: Pending, wire: Buffer): void;
  /** `timeout` true when the deadline passed; otherwise `why` describes a transport error. */
  onFailure(p: Pending, timeout: boolean, why: string): void;
}

/** Sends framed queries and settles them through the group's PendingQueries. */
export interface Transport {
  send(p: Pending): void;
  /** Drops a pending attempt the transport still tracks (its deadline passed or the group closed). */
  forget(p: Pending): void;
  close(): Promise<void>;
}

/** One attempt in flight: a query sent to one server over one transport. */
export class Pending {
  /** Transport key: the query ID (UDP/TCP/TLS) or a stream serial (DoH). */
  key = 0;
  deadline = 0;
  sentAt = 0;
  settled = false;
  /** Stream transports re-send once when a reused connection closes under the query. */
  resent = false;
  /** Transport-specific handle: UDP socket, stream connection or HTTP/2 stream. */
  handle: unknown = null;

  constructor(
    readonly waiter: Waiter,
    readonly server: ServerState,
    readonly transport: Transport,
    /** Framed query (see query.ts). */
    readonly query: Buffer,
    /** End of the question section, as an offset in the message. */
    readonly qEnd: number,
  ) {}
}

/**
 * Every attempt in flight in one group, expired by ONE interval timer (a coarse timer list,
 * not a setTimeout per query). Settling goes through here so each attempt settles once.
 */
export class PendingQueries {
  readonly #all = new Set<Pending>();
  readonly #tickMs: number;
  #timer: NodeJS.Timeout | null = null;
  readonly #sweep = (): void => this.sweep(performance.now());

  constructor(tickMs: number) {
    this.#tickMs = tickMs;
  }

  get size(): number {
    return this.#all.size;
  }

  /** Registers an attempt (deadline and sentAt set) and hands it to its transport. */
  start(p: Pending): void {
    this.#all.add(p);
    if (this.#timer === null) {
      this.#timer = setInterval(this.#sweep, this.#tickMs);
      this.#timer.unref();
    }
    try {
      p.transport.send(p);
    } catch (err) {
      if (p.handle !== null) p.transport.forget(p);
      this.fail(p, false, (err as Error).message);
    }
  }

  answer(p: Pending, wire: Buffer): void {
    if (p.settled) return;
    p.settled = true;
    this.#all.delete(p);
    p.waiter.onAnswer(p, wire);
  }

  fail(p: Pending, timeout: boolean, why: string): void {
    if (p.settled) return;
    p.settled = true;
    this.#all.delete(p);
    p.waiter.onFailure(p, timeout, why);
  }

  /** Expires attempts whose deadline has passed; stops the timer when nothing is left. */
  sweep(now: number): void {
    for (const p of this.#all) {
      if (p.deadline <= now) {
        p.transport.forget(p);
        this.fail(p, true, 'timeout');
      }
    }
    if (this.#all.size === 0 && this.#timer !== null) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }

  /** Fails everything (group shutdown). */
  failAll(why: string): void {
    for (const p of this.#all) {
      p.transport.forget(p);
      this.fail(p, false, why);
    }
    if (this.#timer !== null) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }
}
