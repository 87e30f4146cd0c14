import { EdnsOption, HEADER_SIZE, RCode, RRType } from '../wire/constants.js';
import { decodeMessage, encodeMessage } from '../wire/message.js';
import type { Message } from '../wire/types.js';
import { AnswerSource, type QueryContext } from './context.js';
import type { QueryLog } from '../observability/query-log.js';
import type { QueryStats, ViewSlotMap } from '../observability/query-stats.js';

/**
 * A step on the way out (e.g. split-horizon translation): gets the response wire without OPT and
 * returns it (possibly rewritten in place or a new buffer). Skipped entirely when not configured.
 */
export interface PostStage {
  readonly name: string;
  apply(ctx: QueryContext, wire: Buffer): Buffer;
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
  post?: PostStage[];
  signer?: ResponseSigner | null;
  now?: () => number;
  /** Per-view counting (View.index → QueryStats slot). */
  views?: ViewSlotMap | null;
  /** The query log; null when it is off (costs one check). */
  queryLog?: QueryLog | null;
}

/**
 * The single exit of the request path: post stages → EDNS (OPT echo, EDE) → truncation to the
 * client's size → TSIG → counting → the transport. Producers hand it a response *without* OPT.
 */
export class Responder {
  readonly #udpSize: number;
  readonly #stats: QueryStats;
  readonly #post: PostStage[] | null;
  readonly #signer: ResponseSigner | null;
  readonly #now: () => number;
  readonly #views: ViewSlotMap | null;
  readonly #queryLog: QueryLog | null;

  constructor(opts: ResponderOptions) {
    this.#udpSize = opts.udpPayloadSize;
    this.#stats = opts.stats;
    this.#post = opts.post && opts.post.length > 0 ? opts.post : null;
    this.#signer = opts.signer ?? null;
    this.#now = opts.now ?? performance.now.bind(performance);
    this.#views = opts.views ?? null;
    this.#queryLog = opts.queryLog ?? null;
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
    const rcode = (wire[3]! & 0xf) | (ctx.extRcode & 0xff0);
    const seconds = (this.#now() - ctx.start) / 1000;
    this.#stats.count(ctx.source, rcode, ctx.q.qtype, seconds, this.#views === null ? -1 : this.#views.of(ctx.view));
    if (this.#queryLog !== null) this.#queryLog.log(ctx, rcode, seconds);
    ctx.sink!.reply(ctx, wire);
  }

  /** Answers with an error RCODE, echoing the question when it could be read. */
  error(ctx: QueryContext, rcode: number, source: AnswerSource = AnswerSource.Error): void {
    ctx.source = source;
    if (rcode > 15) ctx.extRcode = rcode;
    this.send(ctx, errorResponse(ctx, rcode & 0xf));
  }

  drop(ctx: QueryContext): void {
    if (ctx.done) return;
    ctx.done = true;
    this.#stats.dropped++;
    ctx.sink!.dropped(ctx);
  }

  #optionsLength(ctx: QueryContext): number {
    const ecs = ecsOption(ctx);
    return (ctx.ede >= 0 ? 6 + Buffer.byteLength(ctx.edeText) : 0) + (ecs >= 0 ? 4 + ctx.q.optionLen : 0);
  }

  #appendOpt(ctx: QueryContext, wire: Buffer): Buffer {
    const optLen = this.#optionsLength(ctx);
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

export { RCode };
