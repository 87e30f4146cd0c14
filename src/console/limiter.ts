/**
 * Failed sign-ins per client address: a token bucket of `burst` failures refilled at `perMinute`.
 * Past it the client gets 429 until the bucket refills, whatever it sends (a right token too),
 * so guessing is slow and the answer does not tell whether a guess was right. Bounded memory:
 * at most `maxClients` addresses are tracked, the oldest forgotten first.
 */
export class FailureLimiter {
  readonly #burst: number;
  readonly #perMs: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(opts: { burst?: number; perMinute?: number; maxClients?: number; now?: () => number } = {}) {
    this.#burst = opts.burst ?? 10;
    this.#perMs = (opts.perMinute ?? 10) / 60_000;
    this.#max = opts.maxClients ?? 10_000;
    this.#now = opts.now ?? Date.now;
  }

  #bucket(client: string): { tokens: number; at: number } {
    const now = this.#now();
    let b = this.#buckets.get(client);
    if (b === undefined) {
      if (this.#buckets.size >= this.#max) this.#buckets.delete(this.#buckets.keys().next().value!);
      b = { tokens: this.#burst, at: now };
      this.#buckets.set(client, b);
    } else {
      b.tokens = Math.min(this.#burst, b.tokens + (now - b.at) * this.#perMs);
      b.at = now;
    }
    return b;
  }

  /** Seconds until this client may try again, or 0 when it may now. */
  blockedFor(client: string): number {
    const b = this.#bucket(client);
    return b.tokens >= 1 ? 0 : Math.ceil((1 - b.tokens) / this.#perMs / 1000);
  }

  failed(client: string): void {
    const b = this.#bucket(client);
    b.tokens = Math.max(0, b.tokens - 1);
  }
}
