import net from 'node:net';
import tls from 'node:tls';
import { randomId } from './ids.js';
import type { Pending, PendingQueries, Transport } from './pending.js';
import { FRAME, Match, matchAnswer } from './query.js';
import type { ServerState } from './server.js';

/** TLS settings for DNS over TLS (RFC 7858 strict profile: the certificate must verify). */
export interface StreamTls {
  /** Name checked against the certificate and sent as SNI. */
  serverName: string | undefined;
  /** Trusted CAs; undefined means the system store. */
  ca: Buffer | undefined;
}

/** One TCP or TLS connection carrying pipelined queries, answers matched by ID (RFC 7766 §7). */
class Connection {
  readonly waiting = new Map<number, Pending>();
  /** TCP connected / TLS handshake done: a close after this may be the server's idle close. */
  established = false;
  closed = false;
  error = '';
  #rbuf: Buffer | null = null;

  constructor(readonly owner: StreamTransport, readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on(owner.tls ? 'secureConnect' : 'connect', this.onConnect);
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    socket.on('timeout', this.onIdle);
    socket.setTimeout(owner.idleMs);
  }

  readonly onConnect = (): void => {
    this.established = true;
  };

  readonly onError = (err: Error): void => {
    this.error = err.message;
  };

  readonly onClose = (): void => {
    this.owner.closed(this);
  };

  /** RFC 7766 §6.2.3: close connections that stay idle. */
  readonly onIdle = (): void => {
    if (this.waiting.size === 0) this.owner.retire(this);
  };

  /** Splits the byte stream into messages, coping with split and merged reads (RFC 7766 §8). */
  readonly onData = (chunk: Buffer): void => {
    let buf = this.#rbuf === null ? chunk : Buffer.concat([this.#rbuf, chunk]);
    while (buf.length >= FRAME) {
      const len = buf.readUInt16BE(0);
      if (buf.length < FRAME + len) break;
      this.owner.receive(this, buf.subarray(FRAME, FRAME + len));
      buf = buf.subarray(FRAME + len);
    }
    this.#rbuf = buf.length === 0 ? null : buf;
  };
}

/**
 * DNS over TCP or TLS to one server: one connection reused for every query, queries pipelined
 * on it, answers taken in any order; a new connection when it closes (queries caught by a close
 * of an established connection are sent once more on the next one).
 */
export class StreamTransport implements Transport {
  #conn: Connection | null = null;
  #session: Buffer | undefined;
  readonly #live = new Set<Connection>();

  constructor(
    readonly server: ServerState,
    readonly pending: PendingQueries,
    readonly tls: StreamTls | null,
    readonly idleMs: number,
  ) {}

  send(p: Pending): void {
    let c = this.#conn;
    if (c === null) c = this.#connect();
    let id = randomId();
    while (c.waiting.has(id)) id = randomId();
    p.query.writeUInt16BE(id, FRAME);
    p.key = id;
    p.handle = c;
    c.waiting.set(id, p);
    c.socket.write(p.query); // length and message in one write (RFC 7766 §8)
  }

  forget(p: Pending): void {
    const c = p.handle as Connection;
    if (c.waiting.get(p.key) === p) c.waiting.delete(p.key);
  }

  receive(c: Connection, msg: Buffer): void {
    const p = msg.length >= 2 ? c.waiting.get(msg.readUInt16BE(0)) : undefined;
    if (p === undefined || matchAnswer(msg, p.query, p.qEnd) !== Match.Ok) {
      this.server.rejected++;
      return;
    }
    c.waiting.delete(p.key);
    this.pending.answer(p, msg);
  }

  /** Stops giving the connection new queries and ends it gracefully. */
  retire(c: Connection): void {
    if (this.#conn === c) this.#conn = null;
    c.socket.end();
  }

  closed(c: Connection): void {
    c.closed = true;
    this.#live.delete(c);
    if (this.#conn === c) this.#conn = null;
    const why = c.error !== '' ? c.error : 'connection closed';
    for (const p of c.waiting.values()) {
      if (p.settled) continue;
      if (c.established && c.error === '' && !p.resent) {
        p.resent = true;
        this.send(p);
      } else {
        this.pending.fail(p, false, `${this.tls ? 'tls' : 'tcp'}: ${why}`);
      }
    }
    c.waiting.clear();
  }

  #connect(): Connection {
    const spec = this.server.spec;
    const t = this.tls;
    const socket = t === null
      ? net.connect({ host: spec.address!, port: spec.port })
      : tls.connect({
        host: spec.address!, port: spec.port, ca: t.ca, session: this.#session,
        servername: t.serverName !== undefined && net.isIP(t.serverName) === 0 ? t.serverName : undefined,
        checkServerIdentity: (_host, cert) => tls.checkServerIdentity(t.serverName ?? spec.address!, cert),
        minVersion: 'TLSv1.2',
      });
    if (t !== null) socket.on('session', (s: Buffer) => { this.#session = s; });
    const c = new Connection(this, socket);
    this.server.connections++;
    this.#conn = c;
    this.#live.add(c);
    return c;
  }

  async close(): Promise<void> {
    this.#conn = null;
    const waits: Promise<void>[] = [];
    for (const c of this.#live) {
      c.waiting.clear();
      waits.push(new Promise((resolve) => { c.socket.once('close', () => resolve()); }));
      c.socket.destroy();
    }
    await Promise.all(waits);
  }
}
