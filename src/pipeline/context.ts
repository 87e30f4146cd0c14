import type { ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import type { VerifyResult } from '../tsig/verify.js';
import type { View } from '../view/views.js';
import { QueryView } from '../wire/query-view.js';

/** Where an answer came from: drives metrics labels, the query log and EDE. */
export const AnswerSource = {
  None: 0, Authoritative: 1, Cache: 2, Stale: 3, Upstream: 4, Local: 5, Refused: 6, Error: 7, Update: 8, Blocked: 9, Blocklist: 10,
} as const;
export type AnswerSource = (typeof AnswerSource)[keyof typeof AnswerSource];
export const answerSourceNames = ['none', 'authoritative', 'cache', 'stale', 'upstream', 'local', 'refused', 'error', 'update', 'blocked', 'blocklist'] as const;

/** How a query arrived: UDP, TCP, DNS over TLS (RFC 7858), DNS over HTTPS (RFC 8484). */
export const TransportKind = { Udp: 0, Tcp: 1, Dot: 2, Doh: 3 } as const;
export type TransportKind = (typeof TransportKind)[keyof typeof TransportKind];
/** Names for the query log and metrics, indexed by TransportKind. */
export const transportNames = ['udp', 'tcp', 'dot', 'doh'] as const;

/**
 * TCP and DoT: a length-framed stream whose `ctx.conn` is a TcpConnection, so one query may get
 * several messages (zone transfers; over DoT that is XoT, RFC 9103).
 */
export function isStream(t: TransportKind): boolean {
  return t === TransportKind.Tcp || t === TransportKind.Dot;
}

/** DoT and DoH: the answer travels encrypted (EDNS padding applies, RFC 7830/8467). */
export function isEncrypted(t: TransportKind): boolean {
  return t >= TransportKind.Dot;
}

/**
 * Sends a finished response to the client that asked. Implemented once per listener (no
 * per-query closure); `conn` identifies the TCP connection, null for UDP.
 */
export interface ReplySink {
  reply(ctx: QueryContext, response: Buffer): void;
  /** The query will get no answer (dropped after going asynchronous, or on shutdown). */
  dropped(ctx: QueryContext): void;
}

/**
 * The TCP connection a query came on, as the request path and its transport use it (the TCP
 * listener's TcpConnection). A multi-message answer (zone transfer) writes its messages here
 * through the Responder's stream(); the last one is the query's reply.
 */
export interface QueryConnection {
  /** The connection has closed: nothing written now arrives. */
  readonly closed: boolean;
  /** Bytes written and not yet sent. */
  readonly pending: number;
  /** Writes one framed message without finishing the query. */
  send(msg: Buffer): void;
  /** Resolves once the unsent bytes have gone out, or the connection has closed. */
  drained(): Promise<void>;
  /** One query of this connection is finished (answered or dropped). */
  settle(): void;
  /** Cuts the connection at once (half a zone transfer must not look like a whole one). */
  destroy(): void;
}

/** The transports' single entry point into the request path (swapped on reload behind it). */
export interface QueryHandler {
  /**
   * Handles one message. The context is the transport's scratch object and is reused once this
   * returns; the answer arrives through `ctx.sink.reply` now or later, or `dropped` is called.
   */
  handle(ctx: QueryContext): void;
}

/**
 * Per-query state. On the synchronous path the transport reuses one context for every packet
 * (`reset`), so nothing may keep a reference to it after handle() returns: a stage that goes
 * asynchronous calls `detach()` and uses the copy.
 */
export class QueryContext {
  readonly q = new QueryView();
  msg: Buffer = EMPTY;
  address = '';
  port = 0;
  family: 4 | 6 = 4;
  transport: TransportKind = TransportKind.Udp;
  sink: ReplySink | null = null;
  /** The TCP connection the query came on; null over UDP. */
  conn: QueryConnection | null = null;
  /** Response size limit for this client (UDP: EDNS size or 512; TCP: 65535). */
  maxSize = 512;
  /** Set by whoever answers. */
  source: AnswerSource = AnswerSource.None;
  /** Extended RCODE (> 15, e.g. BADVERS) to carry in the OPT record. */
  extRcode = 0;
  /** RFC 8914 Extended DNS Error to attach, or -1. */
  ede = -1;
  edeText = '';
  /** The client's split-horizon view (view stage); null when one view serves everyone. */
  view: View | null = null;
  /** Whether this client may recurse here, decided once by the recursion stage (RA, recursion-acl). */
  recursion = false;
  /** The query carried a DNS cookie: its client cookie (8 bytes), and whether its server cookie was valid (cookies stage). */
  hasCookie = false;
  readonly cookie = Buffer.alloc(8);
  cookieValid = false;
  /** SCOPE PREFIX-LENGTH echoed in the answer's Client Subnet option (RFC 7871 §7.2.1); set by the view choice. */
  ecsScope = 0;
  /** The TSIG state of a signed request (tsig stage), null when it was not signed. */
  tsig: VerifyResult | null = null;
  /** Display name of the upstream that answered (forwarded answers), for the query log. */
  upstream: string | null = null;
  /** Split-horizon translation rewrote an address in the answer (query log). */
  translated = false;
  /** The blocking group that blocked this query (source Blocklist), else null (query log). */
  blockedBy: string | null = null;
  /** Monotonic start time in ms (performance.now()). */
  start = 0;
  /** True once a response was sent or the query dropped; guards against double replies. */
  done = false;
  /**
   * `msg` lies in a transport buffer that the next batch overwrites (the native UDP backend):
   * detach() copies it. Set by the transport after reset().
   */
  msgBorrowed = false;
  /**
   * The native UDP transport: index of the local address the datagram came to (the reply leaves
   * from it on a wildcard listener); 0 otherwise. Set by the transport after reset().
   */
  localAddress = 0;
  /**
   * The DNS over HTTPS listener: the HTTP response this query is answered on; null otherwise.
   * Set by the transport after reset().
   */
  http: ServerResponse | Http2ServerResponse | null = null;

  reset(msg: Buffer, address: string, port: number, family: 4 | 6, transport: TransportKind, sink: ReplySink, conn: QueryConnection | null, now: number): void {
    this.msg = msg;
    this.address = address;
    this.port = port;
    this.family = family;
    this.transport = transport;
    this.sink = sink;
    this.conn = conn;
    this.http = null;
    this.maxSize = 512;
    this.source = AnswerSource.None;
    this.extRcode = 0;
    this.ede = -1;
    this.edeText = '';
    this.view = null;
    this.recursion = false;
    this.ecsScope = 0;
    this.hasCookie = false;
    this.cookieValid = false;
    this.tsig = null;
    this.upstream = null;
    this.translated = false;
    this.blockedBy = null;
    this.start = now;
    this.done = false;
    this.msgBorrowed = false;
    this.localAddress = 0;
  }

  /** A copy that outlives the synchronous call (the copy re-reads the same packet bytes). */
  detach(): QueryContext {
    const c = new QueryContext();
    c.reset(this.msgBorrowed ? Buffer.from(this.msg) : this.msg, this.address, this.port, this.family, this.transport, this.sink!, this.conn, this.start);
    c.q.parse(c.msg);
    c.localAddress = this.localAddress;
    c.http = this.http;
    c.maxSize = this.maxSize;
    c.source = this.source;
    c.extRcode = this.extRcode;
    c.ede = this.ede;
    c.edeText = this.edeText;
    c.view = this.view;
    c.recursion = this.recursion;
    c.ecsScope = this.ecsScope;
    c.hasCookie = this.hasCookie;
    this.cookie.copy(c.cookie);
    c.cookieValid = this.cookieValid;
    c.tsig = this.tsig;
    c.upstream = this.upstream;
    c.translated = this.translated;
    c.blockedBy = this.blockedBy;
    return c;
  }
}

const EMPTY = Buffer.alloc(0);
