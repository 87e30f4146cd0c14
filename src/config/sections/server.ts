import { DEFAULTS } from '../defaults.js';
import { address, networkRefs, port } from '../net.js';
import { bool, duration, int, list, object, oneOf, optional, path, required, str, withDefault } from '../schema.js';
import type { JournalOnCorrupt, ListenConfig, ListenProtocol, ServerConfig, TlsConfig } from '../types.js';

export const JOURNAL_ON_CORRUPT: readonly JournalOnCorrupt[] = ['refuse', 'truncate'];

/**
 * `server`: listeners and transport limits. Each address:port appears once in `listen` and
 * lists its protocols. Port 0 asks the OS for a free port (tests). `tls` (DNS over TLS) and
 * `https` (DNS over HTTPS) each take a port of their own and need `server.tls`.
 */

const D = DEFAULTS.server;

const PROTOCOLS: readonly ListenProtocol[] = ['udp', 'tcp', 'tls', 'https'];
const ENCRYPTED: readonly ListenProtocol[] = ['tls', 'https'];
/** The registered ports of DNS over TLS (RFC 7858 §3.1) and HTTPS; `listen[].port` otherwise. */
const TLS_PORT = 853;
const HTTPS_PORT = 443;

/** An absolute HTTP path of URL-safe characters (no query, no fragment). */
const HTTP_PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/;

const listenEntry = object(
  {
    address: required(address),
    port: optional(port(true)),
    protocols: withDefault(list(oneOf(PROTOCOLS), { min: 1, unique: { key: (p) => p, what: 'protocol' } }), D['listen[]'].protocols),
    path: optional(str({ pattern: HTTP_PATH, what: 'an absolute URL path such as /dns-query' })),
  },
  (v, at): ListenConfig | undefined => {
    const encrypted = v.protocols.filter((p) => ENCRYPTED.includes(p));
    if (encrypted.length > 0 && v.protocols.length > 1) {
      return at.child('protocols').error(`${encrypted[0]} must be the only protocol of its listen entry (give it a port of its own)`);
    }
    const https = v.protocols[0] === 'https';
    if (v.path !== undefined && !https) return at.child('path').error('is only for the https protocol');
    const defaultPort = v.protocols[0] === 'tls' ? TLS_PORT : https ? HTTPS_PORT : D['listen[]'].port;
    return { ...v.address, port: v.port ?? defaultPort, protocols: v.protocols, path: https ? (v.path ?? D['listen[]'].path) : null };
  },
);

const tls = object(
  {
    certFile: required(path),
    keyFile: required(path),
    handshakeTimeout: withDefault(duration({ positive: true, max: 300 }), D.tls.handshakeTimeout),
    idleTimeout: withDefault(duration({ positive: true, max: 3600 }), D.tls.idleTimeout),
    maxConnections: withDefault(int(1, 1_000_000), D.tls.maxConnections),
    maxHandshakes: withDefault(int(1, 1_000_000), D.tls.maxHandshakes),
    sessionTickets: withDefault(bool, D.tls.sessionTickets),
  },
  (v): TlsConfig => v,
);

function endpoint(l: ListenConfig): string {
  return l.family === 6 ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`;
}

/** Parses `server`. */
export const parseServer = object(
  {
    // Port 0 (tests) binds a fresh ephemeral port per entry: entries differ by their protocols.
    listen: withDefault(list(listenEntry, { min: 1, unique: { key: (l) => endpoint(l) + (l.port === 0 ? ` ${l.protocols.join()}` : ''), what: 'listen address' } }), D.listen),
    udpPayloadSize: withDefault(int(512, 4096), D.udpPayloadSize),
    tcp: withDefault(
      object({
        idleTimeout: withDefault(duration({ positive: true, max: 3600 }), D.tcp.idleTimeout),
        minIdleTimeout: withDefault(duration({ positive: true, max: 3600 }), D.tcp.minIdleTimeout),
        messageTimeout: withDefault(duration({ positive: true, max: 600 }), D.tcp.messageTimeout),
        maxConnections: withDefault(int(1, 1_000_000), D.tcp.maxConnections),
        maxConnectionsPerClient: withDefault(int(1, 1_000_000), D.tcp.maxConnectionsPerClient),
        maxPipelined: withDefault(int(1, 65_535), D.tcp.maxPipelined),
        messagesPerTurn: withDefault(int(1, 65_535), D.tcp.messagesPerTurn),
      }),
      {},
    ),
    workers: withDefault(int(1, 64), D.workers),
    udp: withDefault(object({ backend: withDefault(oneOf(['auto', 'native', 'dgram'] as const), D.udp.backend) }), {}),
    dataDir: withDefault(path, D.dataDir),
    journal: withDefault(object({ onCorrupt: withDefault(oneOf(JOURNAL_ON_CORRUPT), D.journal.onCorrupt) }), {}),
    tls: optional(tls),
    trustedProxies: withDefault(networkRefs(), D.trustedProxies),
  },
  (v, at): ServerConfig | undefined => {
    const encrypted = v.listen.find((l) => l.protocols[0] === 'tls' || l.protocols[0] === 'https');
    if (encrypted !== undefined && v.tls === undefined) {
      return at.child('tls').error(`is required by the ${encrypted.protocols[0]} listener on ${endpoint(encrypted)} (certFile and keyFile)`);
    }
    return { ...v, tls: v.tls ?? null };
  },
);
