/**
 * The logging surface the listeners need: a structural subset of a pino logger, so the root
 * logger's child (`log.child({ component: 'transport' })`) can be passed as is.
 */
export interface TransportLogger {
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

function noop(): void {}

/** A logger that discards everything (the default when none is given). */
export const silentLogger: TransportLogger = { error: noop, warn: noop, info: noop, debug: noop };

/**
 * Warns at most once per interval and reports how many warnings were suppressed in between, so
 * a socket that fails on every packet cannot flood the log (no per-packet logs).
 */
export class ThrottledWarn {
  readonly #log: TransportLogger;
  readonly #intervalMs: number;
  #last = Number.NEGATIVE_INFINITY;
  #suppressed = 0;

  constructor(log: TransportLogger, intervalMs = 10_000) {
    this.#log = log;
    this.#intervalMs = intervalMs;
  }

  warn(obj: Record<string, unknown>, msg: string): void {
    const now = performance.now();
    if (now - this.#last < this.#intervalMs) {
      this.#suppressed++;
      return;
    }
    this.#last = now;
    this.#log.warn(this.#suppressed > 0 ? { ...obj, suppressed: this.#suppressed } : obj, msg);
    this.#suppressed = 0;
  }
}
