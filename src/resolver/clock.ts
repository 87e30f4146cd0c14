/**
 * Time for cache ageing, in seconds (fractions allowed). Injected so tests can move time by
 * hours without sleeping (CoreDNS `Cache.now`). Timers that wait for the network (the client
 * response timer, upstream budgets) always use real time.
 */
export interface Clock {
  nowSeconds(): number;
}

/** Monotonic seconds from performance.now(): cheap, and immune to wall-clock steps. */
export const monotonicClock: Clock = {
  nowSeconds: () => performance.now() / 1000,
};

/** A clock that only moves when told to (tests, simulations). */
export class ManualClock implements Clock {
  #now: number;

  constructor(start = 1000) {
    this.#now = start;
  }

  nowSeconds(): number {
    return this.#now;
  }

  /** Moves time forward by `seconds`. */
  advance(seconds: number): void {
    this.#now += seconds;
  }

  set(seconds: number): void {
    this.#now = seconds;
  }
}
