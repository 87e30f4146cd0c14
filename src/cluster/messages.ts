/**
 * What the processes of a multi-worker server (`server.workers` > 1) say to each other over the
 * cluster IPC channel (structured clone, so buffers travel as bytes). The primary process only
 * supervises and routes; worker "owner" is a complete server (journals, transfers, TCP, metrics
 * endpoint); "query" workers answer UDP from the same shared socket and hand the owner what only
 * it may do.
 */

/** What this process is: the only one, or one of several workers. */
export type Role = 'single' | 'owner' | 'query';

/** The environment variable that tells a forked worker its role. */
export const ROLE_ENV = 'HORIZOND_WORKER_ROLE';

/** Where a message goes: a worker id, the owner, every query worker, or the primary (id 0). */
export type Destination = 'owner' | 'queries' | 'primary' | number;

export interface Envelope {
  /** Message type: ready, reload, relay, commit, metrics, gather, reply. */
  t: string;
  to?: Destination;
  /** Sender's worker id (0: the primary), set by the primary when it routes. */
  from?: number;
  /** Set on requests; the reply carries the same id. */
  id?: number;
  body?: unknown;
  /** A reply to a request that failed. */
  error?: string;
}

/** A message a query worker received but only the owner may handle (UPDATE, NOTIFY). */
export interface RelayRequest {
  msg: Uint8Array;
  address: string;
  port: number;
  family: 4 | 6;
}

/** The owner's answer to send back, or null when it sent none (dropped). */
export interface RelayReply {
  wire: Uint8Array | null;
}

/** How long a query worker waits for the owner's answer to a relayed message. */
export const RELAY_TIMEOUT_MS = 4000;

/** Bytes from the channel as a Buffer (structured clone delivers plain Uint8Arrays). */
export function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}
