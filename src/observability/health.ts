/**
 * Liveness and readiness as the HTTP endpoints report them. Alive means the process answers
 * at all. Ready means config and zones are loaded and every DNS listener is bound, and the
 * server is not shutting down: Kubernetes then sends it traffic.
 */
export interface HealthStatus {
  readonly ready: boolean;
  /** Why not ready (`starting`, `stopping`), or `ready`. */
  readonly state: string;
}

/** What the HTTP listener asks. */
export interface HealthSource {
  status(): HealthStatus;
}

const State = { Loading: 0, Loaded: 1, Serving: 2, Stopping: 3 } as const;
type State = (typeof State)[keyof typeof State];
const NAMES = ['loading', 'starting', 'ready', 'stopping'] as const;

/** A condition readiness waits for once, e.g. secondary zones' first transfer: a reason, or null when met. */
export type WarmUp = () => string | null;

/** The daemon's lifecycle, moved forward by the Server: loaded → listening → stopping. */
export class Readiness implements HealthSource {
  #state: State = State.Loading;
  #warmUp: WarmUp | null;
  readonly #blocker: WarmUp | null;

  /**
   * `warmUp` is asked until it first returns null; from then on it is not asked again (a zone
   * that later expires must not take every replica out of the load balancer at once).
   * `blocker` is asked every time: a reason keeps the server not ready for as long as it lasts
   * (a zone refused because its journal is damaged: an operator must look).
   */
  constructor(warmUp: WarmUp | null = null, blocker: WarmUp | null = null) {
    this.#warmUp = warmUp;
    this.#blocker = blocker;
  }

  /** Config and zones are loaded. */
  loaded(): void {
    if (this.#state === State.Loading) this.#state = State.Loaded;
  }

  /** Every listener is bound (implies loaded). */
  listening(): void {
    if (this.#state !== State.Stopping) this.#state = State.Serving;
  }

  /** Shutdown has begun: not ready from now on. */
  stopping(): void {
    this.#state = State.Stopping;
  }

  status(): HealthStatus {
    if (this.#state === State.Serving && this.#blocker !== null) {
      const blocked = this.#blocker();
      if (blocked !== null) return { ready: false, state: blocked };
    }
    if (this.#state === State.Serving && this.#warmUp !== null) {
      const waiting = this.#warmUp();
      if (waiting !== null) return { ready: false, state: waiting };
      this.#warmUp = null;
    }
    return { ready: this.#state === State.Serving, state: NAMES[this.#state] };
  }
}
