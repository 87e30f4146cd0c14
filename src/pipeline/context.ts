import { QueryView } from '../wire/query-view.js';

/** Where an answer came from: drives metrics labels, the query log and EDE. */
export const AnswerSource = {
  None: 0, Authoritative: 1, Cache: 2, Stale: 3, Upstream: 4, Local: 5, Refused: 6, Error: 7, Update: 8, Blocked: 9, Blocklist: 10,
} as const;
export type AnswerSource = (typeof AnswerSource)[keyof typeof AnswerSource];
export const answerSourceNames = ['none', 'authoritative', 'cache', 'stale', 'upstream', 'local', 'refused', 'error', 'update', 'blocked', 'blocklist'] as const;

export const TransportKind = { Udp: 0, Tcp: 1 } as const;
export type TransportKind = (typeof TransportKind)[keyof typeof TransportKind];

/**
 * Sends a finished response to the client that asked. Implemented once per listener (no
 * per-query closure); `conn` identifies the TCP connection, null for UDP.
 */
export interface ReplySink {
  reply(ctx: QueryContext, response: Buffer): void;
  /** The query will get no answer (dropped after going asynchronous, or on shutdown). */
  dropped(ctx: QueryContext): void;
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
  /** Transport-specific handle (a TCP connection); opaque to stages. */
  conn: unknown = null;
  /** Response size limit for this client (UDP: EDNS size or 512; TCP: 65535). */
  maxSize = 512;
  /** Set by whoever answers. */
  source: AnswerSource = AnswerSource.None;
  /** Extended RCODE (> 15, e.g. BADVERS) to carry in the OPT record. */
  extRcode = 0;
  /** RFC 8914 Extended DNS Error to attach, or -1. */
  ede = -1;
  edeText = '';
  /** Per-feature slots: the split-horizon view, the verified TSIG state. Typed by their owners. */
  view: unknown = null;
  /** SCOPE PREFIX-LENGTH echoed in the answer's Client Subnet option (RFC 7871 §7.2.1); set by the view choice. */
  ecsScope = 0;
  tsig: unknown = null;
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

  reset(msg: Buffer, address: string, port: number, family: 4 | 6, transport: TransportKind, sink: ReplySink, conn: unknown, now: number): void {
    this.msg = msg;
    this.address = address;
    this.port = port;
    this.family = family;
    this.transport = transport;
    this.sink = sink;
    this.conn = conn;
    this.maxSize = 512;
    this.source = AnswerSource.None;
    this.extRcode = 0;
    this.ede = -1;
    this.edeText = '';
    this.view = null;
    this.ecsScope = 0;
    this.tsig = null;
    this.upstream = null;
    this.translated = false;
    this.blockedBy = null;
    this.start = now;
    this.done = false;
  }

  /** A copy that outlives the synchronous call (the copy re-reads the same packet bytes). */
  detach(): QueryContext {
    const c = new QueryContext();
    c.reset(this.msg, this.address, this.port, this.family, this.transport, this.sink!, this.conn, this.start);
    c.q.parse(this.msg);
    c.maxSize = this.maxSize;
    c.source = this.source;
    c.extRcode = this.extRcode;
    c.ede = this.ede;
    c.edeText = this.edeText;
    c.view = this.view;
    c.ecsScope = this.ecsScope;
    c.tsig = this.tsig;
    c.upstream = this.upstream;
    c.translated = this.translated;
    c.blockedBy = this.blockedBy;
    return c;
  }
}

const EMPTY = Buffer.alloc(0);
