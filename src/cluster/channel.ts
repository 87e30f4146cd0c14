import type { Destination, Envelope } from './messages.js';
import { HzError } from '../errors/index.js';

type Handler = (body: unknown, from: number | undefined) => unknown;

interface Pending {
  resolve: (body: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * A worker's end of the IPC channel: one-way posts, requests that wait for a reply (with a
 * timeout), and handlers by message type. A handler's return value (or promise) is the reply.
 */
export class WorkerChannel {
  readonly #pending = new Map<number, Pending>();
  readonly #handlers = new Map<string, Handler>();
  #next = 1;
  readonly #onMessage = (m: Envelope): void => this.#receive(m);

  constructor() {
    process.on('message', this.#onMessage);
  }

  /** Registers the handler of one message type. */
  handle(t: string, fn: Handler): void {
    this.#handlers.set(t, fn);
  }

  /** Sends without waiting for anything; false when the channel is gone. */
  post(t: string, to: Destination, body?: unknown): boolean {
    return this.#send({ t, to, body });
  }

  /** Sends a request; resolves with the reply's body, rejects on an error reply or timeout. */
  request<T>(t: string, to: Destination, body: unknown, timeoutMs: number): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new HzError('HZ_ERR_WORKER_CHANNEL', `no reply to ${t} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve: resolve as (b: unknown) => void, reject, timer });
      if (!this.#send({ t, to, id, body })) {
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(new HzError('HZ_ERR_WORKER_CHANNEL', 'the worker channel is closed'));
      }
    });
  }

  /** Stops listening; pending requests fail. */
  close(): void {
    process.off('message', this.#onMessage);
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(new HzError('HZ_ERR_WORKER_CHANNEL', 'the worker channel is closed'));
    }
    this.#pending.clear();
  }

  #send(m: Envelope): boolean {
    if (!process.connected || process.send === undefined) return false;
    try {
      process.send(m, undefined, undefined, (err: Error | null) => { if (err) this.#fail(m, err); });
      return true;
    } catch {
      return false;
    }
  }

  #fail(m: Envelope, err: Error): void {
    if (m.id === undefined || m.t === 'reply') return;
    const p = this.#pending.get(m.id);
    if (p === undefined) return;
    clearTimeout(p.timer);
    this.#pending.delete(m.id);
    p.reject(err);
  }

  #receive(m: Envelope): void {
    if (m === null || typeof m !== 'object' || typeof m.t !== 'string') return;
    if (m.t === 'reply') {
      const p = m.id === undefined ? undefined : this.#pending.get(m.id);
      if (p === undefined) return;
      clearTimeout(p.timer);
      this.#pending.delete(m.id!);
      if (m.error !== undefined) p.reject(new HzError('HZ_ERR_WORKER_CHANNEL', m.error));
      else p.resolve(m.body);
      return;
    }
    const h = this.#handlers.get(m.t);
    if (h === undefined) return;
    if (m.id === undefined) {
      try {
        void h(m.body, m.from);
      } catch {
        // a one-way message's handler reports its own errors
      }
      return;
    }
    const id = m.id;
    const to = m.from ?? 0;
    Promise.resolve()
      .then(() => h(m.body, m.from))
      .then(
        (body) => this.#send({ t: 'reply', to, id, body }),
        (err: Error) => this.#send({ t: 'reply', to, id, error: err.message }),
      );
  }
}
