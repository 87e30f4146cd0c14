import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import type { Server, Socket } from 'node:net';
import { TransportKind, type QueryHandler } from '../pipeline/context.js';
import type { CertificateStore, CertificateUser, LoadedCertificate } from './certificates.js';
import { silentLogger, type TransportLogger } from './logger.js';
import { TcpServer, type TcpServerOptions } from './tcp-server.js';
import { secureContextOptions, TlsGuard, tlsDefaults, type TlsLimits } from './tls-guard.js';

export interface DotServerOptions extends Omit<TcpServerOptions, 'createServer' | 'kind' | 'name' | 'logger'> {
  certificates: CertificateStore;
  tls?: Partial<TlsLimits>;
  logger?: TransportLogger;
}

/**
 * DNS over TLS (RFC 7858) on one address/port. After the handshake a connection is exactly a
 * DNS-over-TCP connection: the same TcpServer/TcpConnection (framing, pipelining, out-of-order
 * answers, in-flight cap, idle timeout, output cap) serves it, marked TransportKind.Dot.
 * Before the handshake TlsGuard bounds what a client can hold (connections, handshakes in
 * progress, the handshake timeout). The certificate comes from the CertificateStore and is
 * swapped for new handshakes when it is reloaded.
 */
export class DotServer implements CertificateUser {
  readonly tcp: TcpServer;
  readonly guard: TlsGuard;
  readonly #limits: TlsLimits;
  readonly #certs: CertificateStore;
  #server: TlsServer | null = null;

  constructor(handler: QueryHandler, opts: DotServerOptions) {
    const log = opts.logger ?? silentLogger;
    this.#limits = { ...tlsDefaults, ...opts.tls };
    this.#certs = opts.certificates;
    this.guard = new TlsGuard(this.#limits, log, 'dot');
    const { certificates: _c, tls: _t, ...tcpOpts } = opts;
    this.tcp = new TcpServer(handler, {
      ...tcpOpts,
      maxConnections: tcpOpts.maxConnections ?? this.#limits.maxConnections,
      logger: log,
      kind: TransportKind.Dot,
      name: 'dot',
      createServer: this.#createServer,
    });
  }

  get counters(): TcpServer['counters'] {
    return this.tcp.counters;
  }

  start(): Promise<{ address: string; port: number }> {
    this.#certs.add(this);
    return this.tcp.start();
  }

  /** Handshakes in progress are cut at once; established connections get the TCP grace. */
  close(opts: { graceMs?: number } = {}): Promise<void> {
    this.#certs.delete(this);
    this.guard.closePending();
    return this.tcp.close(opts);
  }

  /** CertificateUser: new handshakes use the new pair; session tickets stay valid. */
  useCertificate(c: LoadedCertificate): void {
    const s = this.#server;
    if (s === null) return;
    s.setSecureContext(secureContextOptions(c, this.#limits, this.#limits.sessionTickets ? s.getTicketKeys() : undefined));
  }

  readonly #createServer = (onConnection: (socket: Socket) => void): Server => {
    const server = createTlsServer({
      ...secureContextOptions(this.#certs.current, this.#limits),
      handshakeTimeout: this.#limits.handshakeTimeoutMs,
      noDelay: true,
    });
    this.guard.install(server);
    server.on('secureConnection', (socket: TLSSocket) => {
      // Half-open only once the handshake is done (RFC 7766 §6.2.2: answer what was sent before
      // the client's FIN); before it, a client that hangs up is closed at once.
      socket.allowHalfOpen = true;
      onConnection(socket);
    });
    this.#server = server;
    return server;
  };
}
