import { Opcode, RCode, RRType } from '../../wire/constants.js';
import { encodeMessage } from '../../wire/message.js';
import { readName } from '../../wire/name.js';
import { stampResponse } from '../../wire/stamp.js';
import { emptyMessage, type Message, type RR } from '../../wire/types.js';
import { AnswerSource, TransportKind, type QueryContext } from '../context.js';
import type { Responder } from '../responder.js';
import { Outcome, Stage } from '../stage.js';

/** What a zone store answers for a name it is authoritative for (see zone/store.ts). */
export interface AuthAnswer {
  rcode: number;
  aa: boolean;
  answer: RR[];
  authority: RR[];
  additional: RR[];
}

/**
 * The zone data one view serves. `generation` changes whenever any zone in it changes (reload,
 * dynamic update), which invalidates the pre-encoded answers.
 */
export interface AuthoritativeSource {
  readonly generation: number;
  /** Whether the wire QNAME at `buf[start..]` lies in one of these zones (cheap, no decoding). */
  covers(buf: Uint8Array, start: number): boolean;
  /**
   * null when no served zone contains the name (the next stage decides: forward or REFUSED).
   * `allForAny`: an ANY query gets every RRset at the name, not the RFC 8482 minimal answer.
   */
  lookup(qname: string, qtype: number, dnssecOk: boolean, allForAny?: boolean): AuthAnswer | null;
}

/** Resolves the zone data a query should see: the client's view may carry its own store. */
export type ZoneSourceFor = (ctx: QueryContext) => AuthoritativeSource;

/** Whether this client is offered recursion (sets RA on authoritative answers too). */
export type RecursionFor = (ctx: QueryContext) => boolean;

const NOT_OURS = null;
const MEMO_LIMIT = 50_000;

/**
 * Per-source memo of encoded answers keyed by the query key (lower-cased QNAME wire, type,
 * class, DO/CD): a repeat question costs a Map lookup and a copy-and-stamp instead of a zone
 * walk and an encode. A name inside a zone that still goes on down the chain (a fallthrough
 * zone) is remembered as null. Bounded: the oldest entry goes when full (Map order is
 * insertion order); everything goes when the zone data changes.
 */
class AnswerMemo {
  readonly map = new Map<string, Buffer | null>();
  generation = -1;
}

/**
 * Answers from the zones this server is authoritative for (RFC 1034 §4.3.2): exact matches,
 * CNAME chains, wildcards, referrals, NXDOMAIN/NODATA with the SOA. Names outside every zone go
 * on down the chain.
 */
export class AuthoritativeStage extends Stage {
  readonly name = 'authoritative';
  readonly #out: Responder;
  readonly #zonesFor: ZoneSourceFor;
  readonly #recursionFor: RecursionFor;
  readonly #memos = new WeakMap<AuthoritativeSource, AnswerMemo>();

  constructor(out: Responder, zonesFor: ZoneSourceFor, recursionFor: RecursionFor) {
    super();
    this.#out = out;
    this.#zonesFor = zonesFor;
    this.#recursionFor = recursionFor;
  }

  handle(ctx: QueryContext): Outcome {
    const q = ctx.q;
    if (q.opcode !== Opcode.Query) return this.next.handle(ctx);
    const source = this.#zonesFor(ctx);
    // Forwarded traffic leaves here after one hash walk over the QNAME bytes.
    if (!source.covers(q.buf, q.qnameStart)) return this.next.handle(ctx);
    if (q.qtype === RRType.ANY && ctx.transport === TransportKind.Tcp) return this.#anyOverTcp(ctx, source);
    const memo = this.#memo(source);
    const key = q.key();
    let wire = memo.map.get(key);
    if (wire === undefined) {
      wire = this.#encode(ctx, source);
      if (memo.map.size >= MEMO_LIMIT) memo.map.delete(memo.map.keys().next().value!);
      memo.map.set(key, wire);
    }
    if (wire === NOT_OURS) return this.next.handle(ctx);
    ctx.source = AnswerSource.Authoritative;
    if (wire.length + this.#out.reserve(ctx) > ctx.maxSize) {
      this.#out.sendMessage(ctx, this.#message(ctx, source)!); // truncated for this client
      return Outcome.Answered;
    }
    const out = stampResponse(wire, q);
    if (this.#recursionFor(ctx)) out[3]! |= 0x80;
    this.#out.send(ctx, out);
    return Outcome.Answered;
  }

  /**
   * ANY over TCP answers every RRset at the name (as BIND does): TCP cannot be spoofed into an
   * amplifier, so RFC 8482's minimal answer is kept for UDP only. Rare, so not memoised.
   */
  #anyOverTcp(ctx: QueryContext, source: AuthoritativeSource): Outcome {
    const msg = this.#message(ctx, source, true);
    if (msg === null) return this.next.handle(ctx);
    ctx.source = AnswerSource.Authoritative;
    this.#out.sendMessage(ctx, msg);
    return Outcome.Answered;
  }

  #memo(source: AuthoritativeSource): AnswerMemo {
    let m = this.#memos.get(source);
    if (m === undefined) {
      m = new AnswerMemo();
      this.#memos.set(source, m);
    }
    if (m.generation !== source.generation) {
      m.map.clear();
      m.generation = source.generation;
    }
    return m;
  }

  #encode(ctx: QueryContext, source: AuthoritativeSource): Buffer | null {
    const msg = this.#message(ctx, source);
    return msg === null ? NOT_OURS : encodeMessage(msg);
  }

  #message(ctx: QueryContext, source: AuthoritativeSource, allForAny = false): Message | null {
    const q = ctx.q;
    const qname = readName(ctx.msg, q.qnameStart).name;
    const res = source.lookup(qname, q.qtype, q.ednsDo, allForAny);
    if (res === null) return null;
    return emptyMessage({
      id: q.id, qr: true, opcode: Opcode.Query, aa: res.aa, rd: q.rd, cd: q.cd,
      ra: this.#recursionFor(ctx),
      rcode: res.rcode,
      question: [{ name: qname, type: q.qtype, class: q.qclass }],
      answer: res.answer, authority: res.authority, additional: res.additional,
    });
  }
}

export { RCode };
