import { HzError } from '../errors/index.js';
import { createSecureServer, type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse, type Http2Session } from 'node:http2';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { QueryContext, TransportKind, type QueryHandler, type ReplySink } from '../pipeline/context.js';
import type { PrefixTrie } from '../view/prefix-trie.js';
import { HEADER_SIZE } from '../wire/constants.js';
import { minTtl } from '../wire/min-ttl.js';
import { hostPort, isIPv6Literal, unmapIPv4 } from './address.js';
import type { CertificateStore, CertificateUser, LoadedCertificate } from './certificates.js';
import { listenError } from './errors.js';
import { forwardedClient } from './forwarded.js';
import { silentLogger, ThrottledWarn, type TransportLogger } from './logger.js';
import { secureContextOptions, TlsGuard, tlsDefaults, type TlsLimits } from './tls-guard.js';

export interface DohServerOptions {
  address: string;
  port: number;
  ipv6Only?: boolean;
  /** The request path (`/dns-query`); anything else is 404. */
  path?: string;
  certificates: CertificateStore;
  tls?: Partial<TlsLimits>;
  /** Close a connection with no request for this long. */
  idleTimeoutMs?: number;
  /** Concurrent streams per HTTP/2 connection (SETTINGS_MAX_CONCURRENT_STREAMS). */
  maxStreams?: number;
  /** Peers whose Forwarded / X-Forwarded-For names the client; null: headers always ignored. */
  trustedProxies?: PrefixTrie<true> | null;
  logger?: TransportLogger;
}

export const dohDefaults = { path: '/dns-query', idleTimeoutMs: 30_000, maxStreams: 100 } as const;

/** RFC 8484 §6: the media type of a DNS message over HTTP. */
export const DNS_MESSAGE = 'application/dns-message';
/** The largest DNS message (and so POST body) there is. */
const MAX_MESSAGE = 65_535;
/** base64url of the largest message, unpadded. */
const MAX_GET_PARAM = Math.ceil((MAX_MESSAGE * 4) / 3);
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

type Request = Http2ServerRequest | IncomingMessage;
type Response = Http2ServerResponse | ServerResponse;

/** Plain integer counters of one DoH listener, read by metrics at scrape time. */
export interface DohCounters {
  /** DNS messages handed to the pipeline / answers written / queries that got no answer. */
  received: number;
  sent: number;
  dropped: number;
  errors: number;
  late: number;
  /** HTTP requests by version and method. */
  http2: number;
  http1: number;
  get: number;
  post: number;
  /** Requests refused, by status. */
  status400: number;
  status404: number;
  status405: number;
  status413: number;
  status414: number;
  status415: number;
  /** Requests from a trusted proxy whose header named the client / headers ignored from others. */
  forwarded: number;
  forwardedIgnored: number;
}

/**
 * DNS over HTTPS (RFC 8484) on one address/port: HTTP/2 and HTTP/1.1 (ALPN) on node:http2's
 * secure server, GET with `?dns=` (base64url) and POST with an `application/dns-message` body,
 * answers with `Cache-Control: max-age` from the smallest TTL (RFC 8484 §5.1). Each request
 * runs through the pipeline like a UDP packet (the server is the ReplySink; `ctx.conn` is the
 * HTTP response). The client is the TLS peer, or behind a trusted proxy the client its
 * `Forwarded` / `X-Forwarded-For` header names. TlsGuard bounds connections and handshakes.
 */
export class DohServer implements ReplySink, CertificateUser {
  readonly counters: DohCounters = {
    received: 0, sent: 0, dropped: 0, errors: 0, late: 0, http2: 0, http1: 0, get: 0, post: 0,
    status400: 0, status404: 0, status405: 0, status413: 0, status414: 0, status415: 0, forwarded: 0, forwardedIgnored: 0,
  };
  readonly guard: TlsGuard;
  readonly #handler: QueryHandler;
  readonly #opts: DohServerOptions;
  readonly #path: string;
  readonly #limits: TlsLimits;
  readonly #log: TransportLogger;
  readonly #warn: ThrottledWarn;
  readonly #trusted: PrefixTrie<true> | null;
  readonly #isTrusted: (address: string) => boolean;
  readonly #ctx = new QueryContext();
  readonly #sessions = new Set<Http2Session>();
  #server: Http2SecureServer | null = null;
  #closing: Promise<void> | null = null;

  constructor(handler: QueryHandler, opts: DohServerOptions) {
    this.#handler = handler;
    this.#opts = opts;
    this.#path = opts.path ?? dohDefaults.path;
    this.#limits = { ...tlsDefaults, ...opts.tls };
    this.#log = opts.logger ?? silentLogger;
    this.#warn = new ThrottledWarn(this.#log);
    this.#trusted = opts.trustedProxies ?? null;
    this.#isTrusted = (a) => this.#trusted!.lookupString(a) !== undefined;
    this.guard = new TlsGuard(this.#limits, this.#log, 'doh');
  }

  start(): Promise<{ address: string; port: number }> {
    if (this.#server !== null || this.#closing !== null) return Promise.reject(new HzError('HZ_ERR_INTERNAL', 'doh: start() called twice'));
    const { address, port } = this.#opts;
    const certs = this.#opts.certificates;
    const server = createSecureServer({
      ...secureContextOptions(certs.current, this.#limits),
      allowHTTP1: true,
      handshakeTimeout: this.#limits.handshakeTimeoutMs,
      settings: { maxConcurrentStreams: this.#opts.maxStreams ?? dohDefaults.maxStreams },
    });
    this.#server = server;
    this.guard.install(server);
    const idleMs = this.#opts.idleTimeoutMs ?? dohDefaults.idleTimeoutMs;
    server.setTimeout(idleMs);
    // An idle HTTP/2 session or HTTP/1.1 connection is destroyed, not closed gracefully: the
    // default GOAWAY never completes for a client that finished the TLS handshake and then
    // never sent its HTTP/2 preface.
    server.on('timeout', (idle: Http2Session | Socket) => idle.destroy());
    server.on('request', this.#onRequest);
    server.on('session', this.#onSession);
    certs.add(this);
    return new Promise((resolve, reject) => {
      const onListenError = (err: Error): void => {
        this.#server = null;
        certs.delete(this);
        server.close();
        reject(listenError(err, 'doh', address, port));
      };
      server.once('error', onListenError);
      server.listen({ host: address, port, ipv6Only: this.#opts.ipv6Only === true }, () => {
        server.off('error', onListenError);
        server.on('error', (err) => {
          this.counters.errors++;
          this.#warn.warn({ err, listener: hostPort(address, port) }, 'doh: server error');
        });
        const bound = server.address();
        const real = typeof bound === 'object' && bound !== null ? { address: bound.address, port: bound.port } : { address, port };
        this.#log.info({ ...real, path: this.#path }, 'doh: listening');
        resolve(real);
      });
    });
  }

  /** CertificateUser: new handshakes use the new pair; session tickets stay valid. */
  useCertificate(c: LoadedCertificate): void {
    const s = this.#server;
    if (s === null) return;
    s.setSecureContext(secureContextOptions(c, this.#limits, this.#limits.sessionTickets ? s.getTicketKeys() : undefined));
  }

  /**
   * Stops accepting, cuts handshakes in progress, asks HTTP/2 clients to go (GOAWAY), lets
   * answers in flight out for up to `graceMs`, then closes whatever is left.
   */
  close(opts: { graceMs?: number } = {}): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    const server = this.#server;
    this.#opts.certificates.delete(this);
    if (server === null) {
      this.#closing = Promise.resolve();
      return this.#closing;
    }
    this.guard.closePending();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.#sessions) s.close();
    const timer = setTimeout(() => this.guard.destroyAll(), opts.graceMs ?? 0);
    this.#closing = closed.then(() => {
      clearTimeout(timer);
      this.#log.info({ address: this.#opts.address }, 'doh: closed');
    });
    return this.#closing;
  }

  /**
   * An HTTP/2 session must see the client's preface (its SETTINGS) within the handshake timeout:
   * Node's idle timeout never fires for a session that has not started.
   */
  readonly #onSession = (session: Http2Session): void => {
    this.#sessions.add(session);
    const timer = setTimeout(() => session.destroy(), this.#limits.handshakeTimeoutMs);
    timer.unref();
    session.once('remoteSettings', () => clearTimeout(timer));
    session.once('close', () => {
      clearTimeout(timer);
      this.#sessions.delete(session);
    });
  };

  readonly #onRequest = (req: Request, res: Response): void => {
    const c = this.counters;
    if (req.httpVersionMajor === 2) c.http2++;
    else c.http1++;
    const url = req.url ?? '/';
    const qmark = url.indexOf('?');
    if ((qmark < 0 ? url : url.slice(0, qmark)) !== this.#path) {
      this.#fail(res, 404, 'not found');
      return;
    }
    if (req.method === 'GET') {
      c.get++;
      const param = new URLSearchParams(qmark < 0 ? '' : url.slice(qmark + 1)).get('dns');
      if (param === null) return this.#fail(res, 400, 'the dns parameter is missing');
      if (param.length > MAX_GET_PARAM + 2) return this.#fail(res, 414, 'the dns parameter is longer than any DNS message');
      if (!BASE64URL.test(param)) return this.#fail(res, 400, 'the dns parameter is not base64url');
      this.#query(req, res, Buffer.from(param, 'base64url'));
      return;
    }
    if (req.method === 'POST') {
      c.post++;
      const type = req.headers['content-type'];
      const media = typeof type === 'string' ? type.split(';')[0]!.trim().toLowerCase() : '';
      if (media !== DNS_MESSAGE) return this.#fail(res, 415, `the body must be ${DNS_MESSAGE}`);
      const length = Number(req.headers['content-length'] ?? 0);
      if (length > MAX_MESSAGE) return this.#fail(res, 413, 'a DNS message is at most 65535 bytes');
      this.#readBody(req, res);
      return;
    }
    res.setHeader('allow', 'GET, POST');
    this.#fail(res, 405, 'use GET or POST');
  };

  /** Collects a POST body (at most 65535 bytes; more is 413). */
  #readBody(req: Request, res: Response): void {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (d: Buffer) => {
      if (over) return;
      size += d.length;
      if (size > MAX_MESSAGE) {
        over = true;
        this.#fail(res, 413, 'a DNS message is at most 65535 bytes');
        return;
      }
      chunks.push(d);
    });
    req.on('end', () => {
      if (!over) this.#query(req, res, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    req.on('error', () => { this.counters.errors++; });
  }

  /** Runs one DNS message through the pipeline; the answer comes back through reply(). */
  #query(req: Request, res: Response, msg: Buffer): void {
    if (msg.length < HEADER_SIZE) {
      this.#fail(res, 400, 'not a DNS message (shorter than a header)');
      return;
    }
    const socket = req.socket;
    const peer = unmapIPv4(socket.remoteAddress ?? '');
    let address = peer;
    let port = socket.remotePort ?? 0;
    if (this.#hasForwardHeader(req)) {
      if (this.#trusted !== null && this.#isTrusted(peer)) {
        const client = forwardedClient(req.headers['forwarded'], req.headers['x-forwarded-for'], this.#isTrusted);
        if (client !== null && client !== peer) {
          address = client;
          port = 0; // the client's port is not known (Forwarded may carry one; it is not trusted for anything)
          this.counters.forwarded++;
        }
      } else {
        this.counters.forwardedIgnored++;
      }
    }
    this.counters.received++;
    const ctx = this.#ctx;
    ctx.reset(msg, address, port, isIPv6Literal(address) ? 6 : 4, TransportKind.Doh, this, null, performance.now());
    ctx.http = res;
    try {
      this.#handler.handle(ctx);
    } catch (err) {
      this.counters.errors++;
      this.#warn.warn({ err }, 'doh: query handler threw');
      if (!ctx.done) this.#fail(res, 500, 'internal error');
    }
  }

  #hasForwardHeader(req: Request): boolean {
    return req.headers['forwarded'] !== undefined || req.headers['x-forwarded-for'] !== undefined;
  }

  /** ReplySink: the answer as an application/dns-message body, cacheable for its smallest TTL. */
  reply(ctx: QueryContext, response: Buffer): void {
    const res = ctx.http;
    if (res === null || gone(res)) {
      this.counters.late++;
      return;
    }
    const ttl = minTtl(response);
    res.writeHead(200, {
      'content-type': DNS_MESSAGE,
      'content-length': response.length,
      'cache-control': ttl >= 0 ? `max-age=${ttl}` : 'no-cache',
    });
    res.end(response);
    this.counters.sent++;
  }

  /** ReplySink: no DNS answer (the message was not a query the pipeline would answer). */
  dropped(ctx: QueryContext): void {
    this.counters.dropped++;
    if (ctx.http !== null) this.#fail(ctx.http, 400, 'the DNS message was not answered (malformed or not a query)');
  }

  #fail(res: Response, status: 400 | 404 | 405 | 413 | 414 | 415 | 500, why: string): void {
    const c = this.counters;
    if (status === 400) c.status400++;
    else if (status === 404) c.status404++;
    else if (status === 405) c.status405++;
    else if (status === 413) c.status413++;
    else if (status === 414) c.status414++;
    else if (status === 415) c.status415++;
    if (gone(res) || res.headersSent) return;
    const body = `${status} ${why}\n`;
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
    res.end(body);
  }
}

/** The client has gone or the response is already finished. */
function gone(res: Response): boolean {
  if (res.writableEnded) return true;
  return 'stream' in res ? res.stream.destroyed : res.destroyed;
}
