import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../observability/log.js';
import { ROLE_ENV, type Envelope } from './messages.js';
import { HzError } from '../errors/index.js';

export interface SupervisorOptions {
  /** Worker processes in all: one owner and `workers - 1` query workers. */
  workers: number;
  log: Logger;
  /** A worker that dies is started again after this long, doubled while it keeps dying young. */
  restartDelayMs?: number;
  /** A stopping worker that has not exited by then is killed. */
  stopTimeoutMs?: number;
  /** How long the primary waits for each query worker's reply (metrics, applied updates). */
  gatherTimeoutMs?: number;
}

type WorkerRole = 'owner' | 'query';

interface Slot {
  role: WorkerRole;
  worker: Worker | null;
  startedAt: number;
  delay: number;
}

/** A worker younger than this that dies counts as dying young (its restart waits longer). */
const YOUNG_MS = 10_000;
const MAX_RESTART_DELAY_MS = 30_000;

/**
 * The primary process of a multi-worker server (`server.workers` > 1). It serves nothing
 * itself: it forks the owner first (which opens journals, binds the ports and the metrics
 * endpoint), then the query workers once the owner is ready, routes their messages, starts
 * again any worker that dies, and passes SIGHUP (reload) to the owner and SIGTERM/SIGINT to
 * everyone. Workers share the UDP socket (the kernel hands each datagram to one of them); TCP
 * and the metrics endpoint are the owner's alone.
 */
export class Supervisor {
  readonly #o: Required<SupervisorOptions>;
  readonly #slots: Slot[] = [];
  readonly #ready = new Map<Worker, () => void>();
  readonly #pending = new Map<number, (body: unknown) => void>();
  #nextId = 1;
  #stopping = false;
  #done: (code: number) => void = () => {};
  readonly finished: Promise<number>;

  constructor(opts: SupervisorOptions) {
    this.#o = { restartDelayMs: 1000, stopTimeoutMs: 10_000, gatherTimeoutMs: 900, ...opts };
    this.finished = new Promise((resolve) => { this.#done = resolve; });
  }

  /** Forks the owner, waits until it serves, then the query workers; resolves once all serve. */
  async start(): Promise<void> {
    // Workers accept on shared handles themselves: the primary is never on a packet's path.
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    cluster.setupPrimary({ serialization: 'advanced' });
    cluster.on('message', (w, m: Envelope) => this.#route(w, m));
    cluster.on('exit', (w, code, signal) => this.#exited(w, code, signal));
    const owner: Slot = { role: 'owner', worker: null, startedAt: 0, delay: this.#o.restartDelayMs };
    this.#slots.push(owner);
    await this.#fork(owner);
    const queries: Slot[] = [];
    for (let i = 1; i < this.#o.workers; i++) queries.push({ role: 'query', worker: null, startedAt: 0, delay: this.#o.restartDelayMs });
    this.#slots.push(...queries);
    await Promise.all(queries.map((s) => this.#fork(s)));
  }

  /** The live workers with their roles (tests, logs). */
  workers(): { id: number; pid: number | undefined; role: WorkerRole }[] {
    return this.#slots.filter((s) => s.worker !== null).map((s) => ({ id: s.worker!.id, pid: s.worker!.process.pid, role: s.role }));
  }

  /** SIGHUP: the owner reloads, then tells the query workers to. */
  reload(): void {
    this.#owner()?.send({ t: 'reload' });
  }

  /** Stops every worker (each finishes what it has in flight); resolves `finished`. */
  stop(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    const live = this.#slots.filter((s) => s.worker !== null);
    if (live.length === 0) return this.#done(0);
    for (const s of live) {
      const w = s.worker!;
      // A signal rather than a message: a worker still starting has no message handlers yet.
      w.process.kill('SIGTERM');
      setTimeout(() => { if (!w.isDead()) w.process.kill('SIGKILL'); }, this.#o.stopTimeoutMs).unref();
    }
  }

  #owner(): Worker | null {
    return this.#slots.find((s) => s.role === 'owner')?.worker ?? null;
  }

  #fork(slot: Slot): Promise<void> {
    const w = cluster.fork({ [ROLE_ENV]: slot.role });
    slot.worker = w;
    slot.startedAt = Date.now();
    return new Promise<void>((resolve, reject) => {
      this.#ready.set(w, resolve);
      w.once('exit', (code) => {
        if (!this.#ready.delete(w)) return;
        // Died before it served: at start that ends everything (bad config, taken port).
        reject(Object.assign(new HzError('HZ_ERR_WORKER_EXIT', `${slot.role} worker exited with code ${code} before it was ready`), { exitCode: code || 1 }));
      });
    });
  }

  #route(from: Worker, m: Envelope): void {
    if (m === null || typeof m !== 'object' || typeof m.t !== 'string') return;
    m.from = from.id;
    const to = m.to ?? 'primary';
    if (to === 'primary' || to === 0) return this.#handle(from, m);
    if (to === 'owner') {
      this.#owner()?.send(m);
    } else if (to === 'queries') {
      // Starting ones too: a zone change must not fall between reading the journal and serving.
      for (const s of this.#slots) if (s.role === 'query' && s.worker !== null && s.worker.isConnected()) s.worker.send(m);
    } else {
      cluster.workers?.[to]?.send(m);
    }
  }

  #isReady(w: Worker): boolean {
    return !this.#ready.has(w) && w.isConnected();
  }

  #handle(from: Worker, m: Envelope): void {
    switch (m.t) {
      case 'ready': {
        const r = this.#ready.get(from);
        this.#ready.delete(from);
        r?.();
        return;
      }
      case 'reply': {
        const p = m.id === undefined ? undefined : this.#pending.get(m.id);
        if (p) p(m.error === undefined ? m.body : null);
        return;
      }
      case 'gather':
        // The owner's scrape: every ready query worker's metrics (late ones are left out).
        void this.#ask('metrics', undefined, (w) => this.#isReady(w)).then((all) => from.send({ t: 'reply', to: from.id, id: m.id, body: all.filter((b) => b !== null) }));
        return;
      case 'commit':
        // Committed updates: answered once every serving query worker applied them. One still
        // starting gets them without being waited for: it reads the journal (which holds them)
        // or applies them once its zones are loaded.
        for (const s of this.#slots) {
          if (s.role === 'query' && s.worker !== null && s.worker.isConnected() && !this.#isReady(s.worker)) s.worker.send({ t: 'commit', from: 0, body: m.body });
        }
        void this.#ask('commit', m.body, (w) => this.#isReady(w)).then(() => from.send({ t: 'reply', to: from.id, id: m.id }));
        return;
    }
  }

  /** Sends a request to the query workers `which` accepts; their replies' bodies (null: none in time). */
  #ask(t: string, body: unknown, which: (w: Worker) => boolean): Promise<unknown[]> {
    const asks = this.#slots
      .filter((s) => s.role === 'query' && s.worker !== null && which(s.worker))
      .map((s) => new Promise<unknown>((resolve) => {
        const id = this.#nextId++;
        const timer = setTimeout(() => { this.#pending.delete(id); resolve(null); }, this.#o.gatherTimeoutMs);
        this.#pending.set(id, (reply) => { clearTimeout(timer); this.#pending.delete(id); resolve(reply); });
        s.worker!.send({ t, id, from: 0, body });
      }));
    return Promise.all(asks);
  }

  #exited(w: Worker, code: number, signal: string): void {
    const slot = this.#slots.find((s) => s.worker === w);
    if (slot === undefined) return;
    slot.worker = null;
    if (this.#stopping) {
      if (this.#slots.every((s) => s.worker === null)) this.#done(0);
      return;
    }
    const young = Date.now() - slot.startedAt < YOUNG_MS;
    slot.delay = young ? Math.min(slot.delay * 2, MAX_RESTART_DELAY_MS) : this.#o.restartDelayMs;
    this.#o.log.error({ role: slot.role, pid: w.process.pid, code, signal, restartInMs: slot.delay }, `${slot.role} worker died; starting a new one`);
    setTimeout(() => {
      if (this.#stopping) return;
      this.#fork(slot).then(
        () => this.#o.log.info({ role: slot.role, pid: slot.worker?.process.pid }, `${slot.role} worker serving again`),
        () => {}, // its exit is handled here again
      );
    }, slot.delay).unref();
  }
}
