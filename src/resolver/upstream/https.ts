import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import type { Pending, PendingQueries, Transport } from './pending.js';
import { FRAME, Match, matchAnswer, matchNames } from './query.js';
import type { ServerState } from './server.js';

const MIME = 'application/dns-message';
const MAX_BODY = 65535;
const { NGHTTP2_CANCEL } = http2.constants;

/** Where and how to reach a DoH server. */
export interface DohTarget {
  /** Connect address (IP or host name) and port. */
  host: string;
  port: number;
  /** `:authority`, SNI and certificate name. */
  serverName: string;
  /** Path of the URI template, with its query string if any. */
  path: string;
  method: 'POST' | 'GET';
  ca: Buffer | undefined;
}

/** Per-request state hung on the HTTP/2 stream (handlers are shared functions, not closures). */
interface DohStream extends http2.ClientHttp2Stream {
  hzPending: Pending;
  hzOwner: DohTransport;
  hzChunks: Buffer[];
  hzSize: number;
  hzProblem: string;
}

/**
 * DNS over HTTPS (RFC 8484) to one server over HTTP/2: one session reused for every query
 * (concurrent streams), a new one when it closes or goes away. Queries carry ID 0 (§4.1) and
 * are sent as POST bodies or GET `?dns=` base64url; answers must be 200 application/dns-message.
 */
export class DohTransport implements Transport {
  #session: http2.ClientHttp2Session | null = null;
  #tlsSession: Buffer | undefined;
  #serial = 0;
  readonly #sessions = new Set<http2.ClientHttp2Session>();

  constructor(
    readonly server: ServerState,
    readonly pending: PendingQueries,
    readonly target: DohTarget,
    readonly idleMs: number,
  ) {}

  send(p: Pending): void {
    const t = this.target;
    p.query.writeUInt16BE(0, FRAME);
    p.key = ++this.#serial;
    const body = p.query.subarray(FRAME);
    const current = this.#session;
    const session = current !== null && !current.closed && !current.destroyed ? current : this.#connect();
    const get = t.method === 'GET';
    const headers: http2.OutgoingHttpHeaders = get
      ? { ':method': 'GET', ':path': `${t.path}${t.path.includes('?') ? '&' : '?'}dns=${body.toString('base64url')}`, accept: MIME }
      : { ':method': 'POST', ':path': t.path, accept: MIME, 'content-type': MIME, 'content-length': body.length };
    const stream = session.request(headers, { endStream: get }) as DohStream;
    stream.hzPending = p;
    stream.hzOwner = this;
    stream.hzChunks = [];
    stream.hzSize = 0;
    stream.hzProblem = '';
    p.handle = stream;
    stream.on('response', onResponse);
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
    if (!get) stream.end(body);
  }

  forget(p: Pending): void {
    const stream = p.handle as DohStream;
    if (!stream.closed) stream.close(NGHTTP2_CANCEL);
  }

  /** A complete body arrived: check it like any other answer. */
  finish(stream: DohStream): void {
    const p = stream.hzPending;
    if (stream.hzProblem !== '') {
      this.pending.fail(p, false, `https: ${stream.hzProblem}`);
      return;
    }
    const wire = stream.hzChunks.length === 1 ? stream.hzChunks[0]! : Buffer.concat(stream.hzChunks);
    const m = matchAnswer(wire, p.query, p.qEnd);
    if (m !== Match.Ok) {
      this.server.rejected++;
      this.pending.fail(p, false, `https: ${matchNames[m]}`);
      return;
    }
    this.pending.answer(p, wire);
  }

  #connect(): http2.ClientHttp2Session {
    const t = this.target;
    const session = http2.connect(`https://${t.serverName}:${t.port}`, {
      createConnection: () => {
        const socket = tls.connect({
          host: t.host, port: t.port, ca: t.ca, ALPNProtocols: ['h2'], session: this.#tlsSession,
          servername: net.isIP(t.serverName) === 0 ? t.serverName : undefined,
          checkServerIdentity: (_host, cert) => tls.checkServerIdentity(t.serverName, cert),
          minVersion: 'TLSv1.2',
        });
        socket.on('session', (s: Buffer) => { this.#tlsSession = s; });
        return socket;
      },
    });
    this.server.connections++;
    this.#session = session;
    this.#sessions.add(session);
    const drop = (): void => {
      if (this.#session === session) this.#session = null;
    };
    session.on('error', drop); // streams get their own error events
    session.on('goaway', drop);
    session.on('close', () => {
      drop();
      this.#sessions.delete(session);
    });
    session.setTimeout(this.idleMs, () => {
      drop();
      session.close();
    });
    return session;
  }

  async close(): Promise<void> {
    this.#session = null;
    const waits: Promise<void>[] = [];
    for (const s of this.#sessions) {
      waits.push(new Promise((resolve) => { s.once('close', () => resolve()); }));
      s.destroy();
    }
    await Promise.all(waits);
  }
}

function onResponse(this: DohStream, headers: http2.IncomingHttpHeaders): void {
  const status = headers[':status'];
  const type = headers['content-type'];
  if (Number(status) !== 200) this.hzProblem = `HTTP status ${String(status)}`;
  else if (typeof type !== 'string' || type.split(';', 1)[0]!.trim().toLowerCase() !== MIME) {
    this.hzProblem = `unexpected content-type ${String(type)}`;
  }
}

function onData(this: DohStream, chunk: Buffer): void {
  this.hzSize += chunk.length;
  if (this.hzSize > MAX_BODY) {
    this.hzProblem = 'answer larger than 65535 bytes';
    this.close(NGHTTP2_CANCEL);
    return;
  }
  this.hzChunks.push(chunk);
}

function onEnd(this: DohStream): void {
  if (!this.hzPending.settled) this.hzOwner.finish(this);
}

function onError(this: DohStream, err: Error): void {
  if (this.hzProblem === '') this.hzProblem = err.message;
}

function onClose(this: DohStream): void {
  const p = this.hzPending;
  if (p.settled) return;
  this.hzOwner.pending.fail(p, false, `https: ${this.hzProblem !== '' ? this.hzProblem : `stream closed (code ${this.rstCode})`}`);
}
