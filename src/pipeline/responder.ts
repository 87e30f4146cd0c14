import { HzError } from '../errors/index.js';
import { EdnsOption, HEADER_SIZE, RCode, RRType } from '../wire/constants.js';
import { decodeMessage, encodeMessage } from '../wire/message.js';
import type { Message } from '../wire/types.js';
import { AnswerSource, isEncrypted, type QueryContext } from './context.js';
import type { QueryLog } from '../querylog/output.js';
import type { CookieJar } from '../cookies/server-cookie.js';
import type { QueryStats, ViewSlotMap } from '../observability/query-stats.js';

/**
 * A step on the way out (e.g. split-horizon translation): gets the response wire without OPT and
 * returns it (possibly rewritten in place or a new buffer). Skipped entirely when not configured.
 */
export interface PostStage {
  readonly name: string;
  apply(ctx: QueryContext, wire: Buffer): Buffer;
}

/** Unsent bytes above which a stream waits for the connection to drain (well below the TCP listener's cut-off). */
export const STREAM_HIGH_WATER = 256 * 1024;

/** How a streamed answer went. */
export interface StreamResult {
  messages: number;
  bytes: number;
  /** False when the client went away (or a message could not be built) before the end. */
  complete: boolean;
}

/** Signs a finished response (TSIG). Installed only when keys are configured. */
export interface ResponseSigner {
  /** Bytes the signature will add, so answers are truncated to leave room for it. */
  reserve(ctx: QueryContext): number;
  sign(ctx: QueryContext, wire: Buffer): Buffer;
}

export interface ResponderOptions {
  udpPayloadSize: number;
  stats: QueryStats;
  signer?: ResponseSigner | null;
  now?: () => number;
  /** Per-view counting (View.index → QueryStats slot). */
  views?: ViewSlotMap | null;
  /** The query log; null when it is off (costs one check). */
  queryLog?: QueryLog | null;
}

/**
 * The single exit of the request path: post stages → EDNS (OPT echo, EDE) → truncation to the
 * client's size → TSIG → counting and the query log → the transport. Producers hand it a
 * response *without* OPT (`send`, `sendMessage`, `error`); answers made elsewhere go out
 * through `sendVerbatim`/`sendRelayed`, multi-message answers through `stream`. Nothing else
 * writes to the transport.
 */
export class Responder {
  readonly #udpSize: number;
  readonly #stats: QueryStats;
  #post: readonly PostStage[] | null = null;
  readonly #signer: ResponseSigner | null;
  readonly #now: () => number;
  readonly #views: ViewSlotMap | null;
  readonly #queryLog: QueryLog | null;
  /** Set by the cookies stage: answers to queries with a cookie carry ours (RFC 7873 §5.2). */
  #cookies: CookieJar | null = null;

  constructor(opts: ResponderOptions) {
    this.#udpSize = opts.udpPayloadSize;
    this.#stats = opts.stats;
    this.#signer = opts.signer ?? null;
    this.#now = opts.now ?? performance.now.bind(performance);
    this.#views = opts.views ?? null;
    this.#queryLog = opts.queryLog ?? null;
  }

  /** Installs the post stages, in order (once, by buildPipeline, which declares them). */
  setPostStages(post: readonly PostStage[]): void {
    this.#post = post.length > 0 ? post : null;
  }

  /** Answers carry a server cookie made by `jar` when the query had a cookie. */
  useCookies(jar: CookieJar | null): void {
    this.#cookies = jar;
  }

  /** Bytes a producer must leave free below ctx.maxSize (OPT + signature). */
  reserve(ctx: QueryContext): number {
    let n = ctx.q.hasEdns ? 11 + this.#optionsLength(ctx) : 0;
    if (this.#signer && ctx.tsig) n += this.#signer.reserve(ctx);
    return n;
  }

  /** Encodes a response message for ctx, truncated to fit, and sends it. */
  sendMessage(ctx: QueryContext, msg: Message): void {
    const wire = encodeMessage(msg, { maxSize: ctx.maxSize, reserve: this.reserve(ctx) });
    this.send(ctx, wire);
  }

  /** Sends a response wire (no OPT in it) to the client of ctx. */
  send(ctx: QueryContext, wire: Buffer): void {
    if (ctx.done) return;
    ctx.done = true;
    if (this.#post !== null) for (const p of this.#post) wire = p.apply(ctx, wire);
    const reserve = this.reserve(ctx);
    if (wire.length + reserve > ctx.maxSize) wire = this.#truncate(wire, ctx.maxSize, reserve);
    if (ctx.q.hasEdns) wire = this.#appendOpt(ctx, wire);
    if (this.#signer !== null && ctx.tsig) wire = this.#signer.sign(ctx, wire);
    this.#account(ctx, wire);
    ctx.sink!.reply(ctx, wire);
  }

  /**
   * An answer made elsewhere, sent as it came (the primary's answer to an UPDATE forwarded to
   * it): signed where it was made, so no post stages, EDNS, truncation or signing here; counted
   * and logged like every answer.
   */
  sendVerbatim(ctx: QueryContext, wire: Buffer): void {
    if (ctx.done) return;
    ctx.done = true;
    this.#account(ctx, wire);
    ctx.sink!.reply(ctx, wire);
  }

  /**
   * The owner worker's answer to a message a query worker relayed to it, sent as it came. The
   * owner ran it through its own pipeline, which counted and logged it; the workers' metrics
   * are added up, so it is not counted here again.
   */
  sendRelayed(ctx: QueryContext, wire: Buffer): void {
    if (ctx.done) return;
    ctx.done = true;
    ctx.sink!.reply(ctx, wire);
  }

  /**
   * A multi-message answer on the query's TCP connection (AXFR/IXFR, RFC 5936 §2.2): each
   * message is pulled from `messages` only when the previous one is on its way, signed with
   * `sign` when given (TSIG over a stream, RFC 8945 §5.3.1), and written; writing waits while
   * the connection's unsent bytes are above STREAM_HIGH_WATER, so a large zone never piles up
   * in memory. The last message is the query's reply, counted and logged once like any answer.
   * A closed connection or a message that cannot be built ends the stream: the connection is
   * cut (half a transfer must not look like a whole one) and the query counts as dropped.
   */
  async stream(ctx: QueryContext, messages: Iterator<Buffer>, sign: ((wire: Buffer) => Buffer) | null): Promise<StreamResult> {
    const r: StreamResult = { messages: 0, bytes: 0, complete: false };
    const conn = ctx.conn;
    if (ctx.done) return r;
    try {
      if (conn === null) throw new HzError('HZ_ERR_INVALID_ARGUMENT', 'a stream needs a TCP connection');
      let cur = messages.next();
      while (!cur.done) {
        const next = messages.next();
        const wire = sign !== null ? sign(cur.value) : cur.value;
        if (conn.closed) break;
        r.messages++;
        r.bytes += wire.length;
        if (next.done) {
          this.sendVerbatim(ctx, wire);
          r.complete = true;
          return r;
        }
        conn.send(wire);
        if (conn.pending > STREAM_HIGH_WATER) await conn.drained();
        cur = next;
      }
    } catch {
      conn?.destroy();
    }
    this.drop(ctx);
    return r;
  }

  /** Answers with an error RCODE, echoing the question when it could be read. */
  error(ctx: QueryContext, rcode: number, source: AnswerSource = AnswerSource.Error): void {
    ctx.source = source;
    if (rcode > 15) ctx.extRcode = rcode;
    this.send(ctx, errorResponse(ctx, rcode & 0xf));
  }

  /** Counts an answer and hands it to the query log (once per query, on its way out). */
  #account(ctx: QueryContext, wire: Buffer): void {
    const rcode = (wire[3]! & 0xf) | (ctx.extRcode & 0xff0);
    const now = this.#now();
    const seconds = (now - ctx.start) / 1000;
    this.#stats.count(ctx.source, rcode, ctx.q.qtype, seconds, this.#views === null ? -1 : this.#views.of(ctx.view));
    if (this.#queryLog !== null) this.#queryLog.log(ctx, wire, rcode, now, seconds);
  }

  drop(ctx: QueryContext): void {
    if (ctx.done) return;
    ctx.done = true;
    this.#stats.dropped++;
    ctx.sink!.dropped(ctx);
  }

  #optionsLength(ctx: QueryContext): number {
    const ecs = ecsOption(ctx);
    return (ctx.ede >= 0 ? 6 + Buffer.byteLength(ctx.edeText) : 0) + (ecs >= 0 ? 4 + ctx.q.optionLen : 0)
      + (ctx.hasCookie && this.#cookies !== null ? 28 : 0);
  }

  #appendOpt(ctx: QueryContext, wire: Buffer): Buffer {
    const optionsLen = this.#optionsLength(ctx);
    const pad = isEncrypted(ctx.transport) ? paddingLength(ctx, wire.length + 11 + optionsLen) : -1;
    const optLen = pad < 0 ? optionsLen : optionsLen + 4 + pad;
    const out = Buffer.allocUnsafe(wire.length + 11 + optLen);
    wire.copy(out, 0);
    let p = wire.length;
    out[p++] = 0;
    out.writeUInt16BE(RRType.OPT, p); p += 2;
    out.writeUInt16BE(this.#udpSize, p); p += 2;
    out[p++] = (ctx.extRcode >> 4) & 0xff;
    out[p++] = 0; // version 0
    out.writeUInt16BE(ctx.q.ednsDo ? 0x8000 : 0, p); p += 2;
    out.writeUInt16BE(optLen, p); p += 2;
    if (ctx.hasCookie && this.#cookies !== null) {
      out.writeUInt16BE(EdnsOption.Cookie, p); p += 2;
      out.writeUInt16BE(24, p); p += 2;
      ctx.cookie.copy(out, p); p += 8;
      this.#cookies.make(ctx.cookie, 0, ctx.address, out, p); p += 16;
    }
    const ecs = ecsOption(ctx);
    if (ecs >= 0) {
      // RFC 7871 §7.2.1: FAMILY, SOURCE PREFIX-LENGTH and ADDRESS as asked, our SCOPE PREFIX-LENGTH.
      const n = ctx.q.optionLen;
      out.writeUInt16BE(EdnsOption.ClientSubnet, p); p += 2;
      out.writeUInt16BE(n, p); p += 2;
      ctx.q.buf.copy(out, p, ecs, ecs + n);
      out[p + 3] = ctx.ecsScope;
      p += n;
    }
    if (ctx.ede >= 0) {
      const text = Buffer.byteLength(ctx.edeText);
      out.writeUInt16BE(EdnsOption.EDE, p); p += 2;
      out.writeUInt16BE(2 + text, p); p += 2;
      out.writeUInt16BE(ctx.ede, p); p += 2;
      p += out.write(ctx.edeText, p, 'utf8');
    }
    if (pad >= 0) {
      out.writeUInt16BE(EdnsOption.Padding, p); p += 2;
      out.writeUInt16BE(pad, p); p += 2;
      out.fill(0, p, p + pad);
    }
    out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
    return out;
  }

  /** Slow path: an answer (e.g. from cache) larger than this client accepts. */
  #truncate(wire: Buffer, maxSize: number, reserve: number): Buffer {
    try {
      const msg = decodeMessage(wire);
      return encodeMessage(msg, { maxSize, reserve });
    } catch {
      const out = Buffer.from(wire.subarray(0, HEADER_SIZE));
      out[2]! |= 0x02;
      out.fill(0, 4, 12);
      return out;
    }
  }
}

/**
 * Offset of the query's Client Subnet option data (sets `ctx.q.optionLen`), or -1: only for a
 * query that parsed (a malformed option got FORMERR and is not echoed).
 */
function ecsOption(ctx: QueryContext): number {
  const q = ctx.q;
  if (!q.hasEdns || q.error !== '' || q.ednsRdataLen === 0) return -1;
  return q.clientSubnet();
}

/**
 * Header (+ question if readable) with QR set and the given RCODE; the opcode echoed, and RD
 * only for QUERY (RFC 1035 §4.1.1 defines RD for queries; other opcodes get it clear, as BIND).
 */
export function errorResponse(ctx: QueryContext, rcode: number): Buffer {
  const q = ctx.q;
  const src = ctx.msg;
  const withQuestion = q.questionEnd > HEADER_SIZE && q.qdcount === 1;
  const len = withQuestion ? q.questionEnd : HEADER_SIZE;
  const out = Buffer.allocUnsafe(len);
  src.copy(out, 0, 0, len);
  const b2 = src[2]!;
  out[2] = 0x80 | (b2 & 0x78) | ((b2 & 0x78) === 0 ? b2 & 0x01 : 0); // QR, opcode; RD for QUERY; AA/TC cleared
  out[3] = rcode & 0xf;
  out.writeUInt16BE(withQuestion ? 1 : 0, 4);
  out.fill(0, 6, 12);
  return out;
}

/** RFC 8467 §4.1: responses are padded to a multiple of this many bytes. */
export const RESPONSE_PADDING_BLOCK = 468;

/**
 * EDNS(0) padding (RFC 7830) for an answer over an encrypted transport: only when the query
 * carried a Padding option (RFC 7830 §4), the Block-Length policy of RFC 8467 §4.1 (the whole
 * message a multiple of 468 bytes). Returns the option's data length, or -1 for no padding
 * (unpadded query, or the padded message would not fit the client's limit). `size` is the
 * message with its OPT record but without the Padding option. A TSIG signature added later
 * is not counted (RFC 8467 leaves that to the implementation).
 */
export function paddingLength(ctx: QueryContext, size: number): number {
  if (ctx.q.findOption(EdnsOption.Padding) < 0) return -1;
  const withOption = size + 4;
  const pad = (RESPONSE_PADDING_BLOCK - (withOption % RESPONSE_PADDING_BLOCK)) % RESPONSE_PADDING_BLOCK;
  return withOption + pad > ctx.maxSize ? -1 : pad;
}
