import type { Socket } from 'node:net';
import { constants as cryptoConstants } from 'node:crypto';
import type { SecureContextOptions, Server as TlsServer, TLSSocket } from 'node:tls';
import type { LoadedCertificate } from './certificates.js';
import { ThrottledWarn, type TransportLogger } from './logger.js';

/** Limits shared by the DoT and DoH listeners (`server.tls`). */
export interface TlsLimits {
  /** A connection that has not finished its handshake by then is closed. */
  readonly handshakeTimeoutMs: number;
  /** Connections per listener, handshaking ones included. */
  readonly maxConnections: number;
  /** Handshakes in progress at once per listener. */
  readonly maxHandshakes: number;
  readonly sessionTickets: boolean;
}

export const tlsDefaults: TlsLimits = { handshakeTimeoutMs: 5_000, maxConnections: 1000, maxHandshakes: 100, sessionTickets: true };

/** Plain integer counters of one TLS listener, read by metrics at scrape time. */
export interface TlsCounters {
  /** Handshakes completed, and of those resumed from a session ticket. */
  handshakes: number;
  resumed: number;
  /** Connections that closed before their handshake completed (timeouts included), and the timeouts. */
  handshakeFailures: number;
  handshakeTimeouts: number;
  /** Connections closed at accept: the listener was at maxConnections or maxHandshakes. */
  rejected: number;
  /** Now: handshakes in progress, and connections past their handshake. */
  handshaking: number;
  established: number;
}

/** TLS settings every encrypted listener uses: TLS 1.2 or later (RFC 8310 §9, RFC 7525). */
export function secureContextOptions(cert: LoadedCertificate, limits: TlsLimits, ticketKeys?: Buffer): SecureContextOptions {
  return {
    cert: cert.cert,
    key: cert.key,
    minVersion: 'TLSv1.2',
    ...(limits.sessionTickets ? (ticketKeys !== undefined ? { ticketKeys } : {}) : { secureOptions: cryptoConstants.SSL_OP_NO_TICKET }),
  };
}

/**
 * Accept-time protection for a tls.Server (DoT, or DoH's HTTP/2 server): closes a new
 * connection at once when the listener holds `maxConnections` (handshaking or established) or
 * `maxHandshakes` handshakes are already in progress, so a flood of connections that never
 * finish their handshake costs bounded memory and no CPU beyond the accept, and counts
 * handshakes, resumptions, failures and timeouts. The handshake timeout itself is tls.Server's.
 */
export class TlsGuard {
  readonly counters: TlsCounters = {
    handshakes: 0, resumed: 0, handshakeFailures: 0, handshakeTimeouts: 0, rejected: 0, handshaking: 0, established: 0,
  };
  readonly #limits: TlsLimits;
  readonly #warn: ThrottledWarn;
  readonly #name: string;
  /** Raw sockets whose handshake is in progress, by `address|port` (the TLSSocket shares them). */
  readonly #pending = new Map<string, Socket>();
  readonly #established = new Set<TLSSocket>();
  #closing = false;

  constructor(limits: TlsLimits, log: TransportLogger, name: string) {
    this.#limits = limits;
    this.#warn = new ThrottledWarn(log);
    this.#name = name;
  }

  /** Hooks the server's events; call before adding the 'secureConnection' handler that serves. */
  install(server: TlsServer): void {
    server.on('connection', this.#onConnection);
    server.on('secureConnection', this.#onSecure);
    server.on('tlsClientError', this.#onClientError);
  }

  /** Closes every connection still handshaking (the server is closing). */
  closePending(): void {
    this.#closing = true;
    for (const s of this.#pending.values()) s.destroy();
  }

  /** Closes everything at once (the grace period is over). */
  destroyAll(): void {
    this.closePending();
    for (const s of this.#established) s.destroy();
  }

  readonly #onConnection = (raw: Socket): void => {
    const c = this.counters;
    if (this.#closing) {
      raw.destroy();
      return;
    }
    const pending = this.#pending.size;
    if (pending >= this.#limits.maxHandshakes || pending + this.#established.size >= this.#limits.maxConnections) {
      c.rejected++;
      this.#warn.warn({ handshaking: pending, established: this.#established.size, maxConnections: this.#limits.maxConnections, maxHandshakes: this.#limits.maxHandshakes },
        `${this.#name}: connection limit reached; closing new connections`);
      raw.destroy();
      return;
    }
    const key = `${raw.remoteAddress}|${raw.remotePort}`;
    this.#pending.set(key, raw);
    c.handshaking = this.#pending.size;
    raw.once('close', () => {
      if (this.#pending.get(key) !== raw) return;
      this.#pending.delete(key);
      c.handshaking = this.#pending.size;
      c.handshakeFailures++;
    });
  };

  readonly #onSecure = (socket: TLSSocket): void => {
    const c = this.counters;
    const key = `${socket.remoteAddress}|${socket.remotePort}`;
    this.#pending.delete(key);
    c.handshaking = this.#pending.size;
    c.handshakes++;
    if (socket.isSessionReused()) c.resumed++;
    this.#established.add(socket);
    c.established = this.#established.size;
    socket.once('close', () => {
      this.#established.delete(socket);
      c.established = this.#established.size;
    });
  };

  /** A handshake failed or timed out: the connection goes (tls.Server leaves that to us with allowHalfOpen). */
  readonly #onClientError = (err: Error & { code?: string }, socket: TLSSocket): void => {
    if (err.code === 'ERR_TLS_HANDSHAKE_TIMEOUT') this.counters.handshakeTimeouts++;
    socket.destroy();
  };
}
