/**
 * Outcomes of configuration loads, for metrics and logs. The Server records the first load and
 * every reload (SIGHUP or a watched file changing); `ok` and `error` count reloads only.
 */
export class ReloadStats {
  ok = 0;
  error = 0;
  /** Whether the last reload was applied (true before any reload). */
  lastSuccessful = true;
  /** Unix time (seconds) of the last successful load, the start included. */
  lastSuccessSeconds: number;
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
    this.lastSuccessSeconds = now() / 1000;
  }

  /** Records one reload's outcome. */
  record(applied: boolean): void {
    this.lastSuccessful = applied;
    if (applied) {
      this.ok++;
      this.lastSuccessSeconds = this.#now() / 1000;
    } else {
      this.error++;
    }
  }
}
