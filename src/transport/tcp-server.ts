import { createServer, type Server, type Socket } from 'node:net';
import { QueryContext, TransportKind, type QueryHandler, type ReplySink } from '../pipeline/context.js';
import { hostPort, unmapIPv4 } from './address.js';
import { listenError } from './errors.js';
import { silentLogger, ThrottledWarn, type TransportLogger } from './logger.js';
import { TcpConnection, type ConnectionHost, type TcpCounters, type TcpLimits } from './tcp-connection.js';
import { HzError } from '../errors/index.js';
import { Admission, ConnectionSlots } from './tcp-slots.js';

export type { TcpCounters } from './tcp-connection.js';

export interface TcpServerOptions {
  /** IPv4 or IPv6 literal to bind. */
  address: string;
  /** 0 binds an ephemeral port; start() reports the real one. */
  port: number;
  /** For `::`: accept IPv6 only. */
  ipv6Only?: boolean;
  /** Close a connection with nothing in flight and no whole message for this long (RFC 7766 §6.2.3). */
  idleTimeoutMs?: number;
  /** The idle timeout at a full listener (it shrinks from idleTimeoutMs once half the slots are used). */
  minIdleTimeoutMs?: number;
  /** Each whole message must arrive within this of its first byte. */
  messageTimeoutMs?: number;
  /** At this many connections an idle or stalled one is closed for a newcomer, else the newcomer is. */
  maxConnections?: number;
  /** Connections one client (IPv4 address, IPv6 /64) may hold. */
  maxConnectionsPerClient?: number;
  /** Reading pauses while this many queries of one connection are unanswered. */
  maxInflightPerConnection?: number;
  /** Messages read from one connection before other work gets a turn. */
  messagesPerTurn?: number;
  /** A client whose unsent answers exceed this many bytes is cut off. */
  maxPendingOutput?: number;
  /** listen(2) backlog. */
  backlog?: number;
  logger?: TransportLogger;
}

/** Defaults for the TCP listener, in one place. */
export const tcpDefaults = {
  idleTimeoutMs: 10_000,
  minIdleTimeoutMs: 200,
  messageTimeoutMs: 1_000,
  maxConnections: 512,
  maxConnectionsPerClient: 100,
  maxInflightPerConnection: 64,
  messagesPerTurn: 16,
  maxPendingOutput: 1024 * 1024,
  backlog: 511,
} as const;

/**
 * A DNS-over-TCP listener on one address/port (RFC 7766). The server is the ReplySink for all
 * its connections; `ctx.conn` carries the TcpConnection the answer goes back on.
 */
export class TcpServer implements ReplySink, ConnectionHost {
  readonly counters: TcpCounters = {
    accepted: 0, rejected: 0, clientRejected: 0, active: 0, received: 0, sent: 0, dropped: 0, errors: 0,
    late: 0, malformed: 0, idleClosed: 0, slowClosed: 0, evicted: 0, overflows: 0, pauses: 0, yields: 0,
  };
  readonly limits: TcpLimits;
  readonly #handler: QueryHandler;
  readonly #opts: TcpServerOptions;
  readonly #slots: ConnectionSlots;
  readonly #log: TransportLogger;
  readonly #warn: ThrottledWarn;
  readonly #ctx = new QueryContext();
  #server: Server | null = null;
  #closing: Promise<void> | null = null;
  /** Set by close(): called when the last connection has gone. */
  #drained: (() => void) | null = null;

  constructor(handler: QueryHandler, opts: TcpServerOptions) {
    this.#handler = handler;
    this.#opts = opts;
    const idleTimeoutMs = opts.idleTimeoutMs ?? tcpDefaults.idleTimeoutMs;
    this.limits = {
      idleTimeoutMs,
      minIdleTimeoutMs: Math.min(idleTimeoutMs, opts.minIdleTimeoutMs ?? tcpDefaults.minIdleTimeoutMs),
      messageTimeoutMs: opts.messageTimeoutMs ?? tcpDefaults.messageTimeoutMs,
      maxInflightPerConnection: Math.max(1, opts.maxInflightPerConnection ?? tcpDefaults.maxInflightPerConnection),
      messagesPerTurn: Math.max(1, opts.messagesPerTurn ?? tcpDefaults.messagesPerTurn),
      maxPendingOutput: opts.maxPendingOutput ?? tcpDefaults.maxPendingOutput,
    };
    this.#slots = new ConnectionSlots(this.limits, {
      maxConnections: opts.maxConnections ?? tcpDefaults.maxConnections,
      maxConnectionsPerClient: opts.maxConnectionsPerClient ?? tcpDefaults.maxConnectionsPerClient,
    }, this.counters);
    this.#log = opts.logger ?? silentLogger;
    this.#warn = new ThrottledWarn(this.#log);
  }

  /** Open connections (for tests and diagnostics). */
  get connections(): ReadonlySet<TcpConnection> {
    return this.#slots.connections;
  }

  /** The listener's slots (deadline sweep, admission); exposed for tests. */
  get slots(): ConnectionSlots {
    return this.#slots;
  }

  /** Starts listening. Rejects with a ListenError (EADDRINUSE, EACCES...) naming the address. */
  start(): Promise<{ address: string; port: number }> {
    if (this.#server !== null || this.#closing !== null) return Promise.reject(new HzError('HZ_ERR_INTERNAL', 'tcp: start() called twice'));
    const { address, port } = this.#opts;
    const server = createServer({ allowHalfOpen: true, noDelay: true });
    this.#server = server;
    server.on('connection', this.#onConnection);
    return new Promise((resolve, reject) => {
      const onListenError = (err: Error): void => {
        this.#server = null;
        server.close();
        reject(listenError(err, 'tcp', address, port));
      };
      server.once('error', onListenError);
      server.listen({ host: address, port, ipv6Only: this.#opts.ipv6Only === true, backlog: this.#opts.backlog ?? tcpDefaults.backlog }, () => {
        server.off('error', onListenError);
        server.on('error', this.#onServerError);
        const bound = server.address();
        const real = typeof bound === 'object' && bound !== null ? { address: bound.address, port: bound.port } : { address, port };
        this.#log.info(real, 'tcp: listening');
        resolve(real);
      });
    });
  }

  readonly #onConnection = (socket: Socket): void => {
    socket.on('error', ignore);
    const remote = socket.remoteAddress;
    if (this.#closing !== null || remote === undefined) {
      socket.destroy();
      return;
    }
    const plain = unmapIPv4(remote);
    const family: 4 | 6 = socket.remoteFamily === 'IPv6' && plain === remote ? 6 : 4;
    const admitted = this.#slots.admit(plain, family);
    if (admitted !== Admission.Accepted) {
      if (admitted === Admission.Full) this.#warn.warn({}, 'tcp: every connection slot is busy; closing new connections');
      else this.#warn.warn({ client: plain }, 'tcp: a client reached its connection limit; closing its new connections');
      socket.destroy();
      return;
    }
    const conn = new TcpConnection(socket, this, plain, socket.remotePort ?? 0, family);
    this.#slots.add(conn);
    this.counters.accepted++;
  };

  /** ConnectionHost: one complete message from a connection. */
  dispatch(conn: TcpConnection, msg: Buffer): void {
    conn.inflight++;
    this.counters.received++;
    const ctx = this.#ctx;
    ctx.reset(msg, conn.address, conn.port, conn.family, TransportKind.Tcp, this, conn, performance.now());
    try {
      this.#handler.handle(ctx);
    } catch (err) {
      this.counters.errors++;
      conn.settle();
      this.#warn.warn({ err }, 'tcp: query handler threw');
    }
    if (conn.inflight >= this.limits.maxInflightPerConnection) conn.pauseReading();
  }

  /** ReplySink: writes the answer on the query's connection (ignored if it has closed). */
  reply(ctx: QueryContext, response: Buffer): void {
    const conn = ctx.conn as TcpConnection;
    conn.send(response);
    conn.settle();
  }

  /** ReplySink: the query will not be answered. */
  dropped(ctx: QueryContext): void {
    this.counters.dropped++;
    (ctx.conn as TcpConnection).settle();
  }

  /** ConnectionHost: the socket closed. */
  release(conn: TcpConnection): void {
    this.#slots.remove(conn);
    if (this.#slots.size === 0 && this.#drained !== null) this.#drained();
  }

  /** ConnectionHost: a client stopped reading its answers. */
  overflowed(conn: TcpConnection): void {
    this.counters.overflows++;
    this.#warn.warn({ client: conn.address, limit: this.limits.maxPendingOutput }, 'tcp: client is not reading its answers; connection cut');
  }

  /**
   * Stops accepting, stops reading, lets in-flight answers be written for up to `graceMs`, ends
   * each connection (FIN) once its answers are out, and destroys whatever is left at the
   * deadline. Resolves when every connection and the listening socket are closed.
   */
  close(opts: { graceMs?: number } = {}): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    const server = this.#server;
    if (server === null) {
      this.#closing = Promise.resolve();
      return this.#closing;
    }
    const graceMs = opts.graceMs ?? 0;
    const listenerClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    const connectionsClosed = new Promise<void>((resolve) => {
      for (const conn of this.#slots.connections) conn.shutdown();
      if (this.#slots.size === 0) {
        resolve();
        return;
      }
      const timer = setTimeout(() => {
        for (const conn of [...this.#slots.connections]) conn.destroy();
      }, graceMs);
      this.#drained = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.#closing = Promise.all([listenerClosed, connectionsClosed]).then(() => {
      this.#slots.stop();
      this.#log.info({ address: this.#opts.address }, 'tcp: closed');
    });
    return this.#closing;
  }

  readonly #onServerError = (err: Error): void => {
    // e.g. EMFILE on accept: keep serving the connections we have.
    this.counters.errors++;
    this.#warn.warn({ err, listener: hostPort(this.#opts.address, this.#opts.port) }, 'tcp: server error');
  };
}

function ignore(): void {}
