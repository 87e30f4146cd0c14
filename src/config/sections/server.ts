import { DEFAULTS } from '../defaults.js';
import { address, port } from '../net.js';
import { duration, int, list, object, oneOf, path, required, withDefault } from '../schema.js';
import type { JournalOnCorrupt, ListenConfig, ListenProtocol, ServerConfig } from '../types.js';

export const JOURNAL_ON_CORRUPT: readonly JournalOnCorrupt[] = ['refuse', 'truncate'];

/**
 * `server`: listeners and transport limits. Each address:port appears once in `listen` and
 * lists its protocols. Port 0 asks the OS for a free port (tests).
 */

const D = DEFAULTS.server;

const PROTOCOLS: readonly ListenProtocol[] = ['udp', 'tcp'];

const listenEntry = object(
  {
    address: required(address),
    port: withDefault(port(true), D['listen[]'].port),
    protocols: withDefault(list(oneOf(PROTOCOLS), { min: 1, unique: { key: (p) => p, what: 'protocol' } }), D['listen[]'].protocols),
  },
  (v): ListenConfig => ({ ...v.address, port: v.port, protocols: v.protocols }),
);

function endpoint(l: ListenConfig): string {
  return l.family === 6 ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`;
}

/** Parses `server`. */
export const parseServer = object(
  {
    listen: withDefault(list(listenEntry, { min: 1, unique: { key: endpoint, what: 'listen address' } }), D.listen),
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
    dataDir: withDefault(path, D.dataDir),
    journal: withDefault(object({ onCorrupt: withDefault(oneOf(JOURNAL_ON_CORRUPT), D.journal.onCorrupt) }), {}),
  },
  (v): ServerConfig => v,
);
