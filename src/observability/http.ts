import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HealthSource } from './health.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import { HzError } from '../errors/index.js';

/**
 * The operations listener (config `metrics.listen`, default 127.0.0.1:9153):
 * - `GET /metrics`: Prometheus text exposition;
 * - `GET /healthz`: 200 while the process runs (liveness);
 * - `GET /readyz`: 200 when config and zones are loaded and the DNS listeners are bound,
 *   503 before that and during shutdown (readiness).
 * HEAD works on each; anything else is 404 (unknown path) or 405 (other method).
 */

export interface OpsHttpOptions {
  /** Address to bind (IPv4 or IPv6 literal). */
  address: string;
  /** 0 binds an ephemeral port; start() reports the real one. */
  port: number;
  metrics: Metrics;
  health: HealthSource;
  log?: Logger;
}

/** Idle keep-alive connections are closed after this long (Prometheus reconnects cheaply). */
const KEEP_ALIVE_MS = 30_000;

export class OpsHttpServer {
  readonly #opts: OpsHttpOptions;
  readonly #server: Server;
  #closing: Promise<void> | null = null;

  constructor(opts: OpsHttpOptions) {
    this.#opts = opts;
    this.#server = createServer(this.#onRequest);
    this.#server.keepAliveTimeout = KEEP_ALIVE_MS;
  }

  /** Binds the listener. Rejects (EADDRINUSE, EACCES...) with the address in the message. */
  start(): Promise<{ address: string; port: number }> {
    const { address, port } = this.#opts;
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        reject(new HzError('HZ_ERR_METRICS_LISTEN', `metrics: cannot listen on ${hostPort(address, port)}: ${err.code ?? err.message}`, { cause: err }));
      };
      this.#server.once('error', onError);
      this.#server.listen({ host: address, port }, () => {
        this.#server.off('error', onError);
        this.#server.on('error', (err) => this.#opts.log?.warn({ err }, 'metrics: listener error'));
        const a = this.#server.address() as AddressInfo;
        this.#opts.log?.info({ address: a.address, port: a.port }, 'metrics: listening');
        resolve({ address: a.address, port: a.port });
      });
    });
  }

  /** Stops listening and closes every connection, idle or not. Safe to call more than once. */
  close(): Promise<void> {
    this.#closing ??= new Promise((resolve) => {
      if (!this.#server.listening) return resolve();
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    return this.#closing;
  }

  readonly #onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?', 1)[0];
    const head = req.method === 'HEAD';
    if (path !== '/metrics' && path !== '/healthz' && path !== '/readyz') return send(res, 404, 'not found\n', head);
    if (req.method !== 'GET' && !head) {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'method not allowed\n', head);
    }
    if (path === '/healthz') return send(res, 200, 'ok\n', head);
    if (path === '/readyz') {
      const s = this.#opts.health.status();
      return send(res, s.ready ? 200 : 503, `${s.state}\n`, head);
    }
    const m = this.#opts.metrics;
    m.text().then(
      (text) => send(res, 200, text, head, m.contentType),
      (err: Error) => {
        this.#opts.log?.warn({ err }, 'metrics: scrape failed');
        send(res, 500, `scrape failed: ${err.message}\n`, head);
      },
    );
  };
}

function send(res: ServerResponse, status: number, body: string, head: boolean, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(head ? undefined : body);
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
