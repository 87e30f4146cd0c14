import { Opcode, RCode } from '../../wire/constants.js';
import { readName } from '../../wire/name.js';
import { emptyMessage, type RR } from '../../wire/types.js';
import { AnswerSource, type QueryContext } from '../context.js';
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

export interface AuthoritativeSource {
  /** null when no served zone contains the name (the next stage decides: forward or REFUSED). */
  lookup(qname: string, qtype: number, dnssecOk: boolean): AuthAnswer | null;
}

/** Resolves the zone data a query should see: the client's view may carry its own store. */
export type ZoneSourceFor = (ctx: QueryContext) => AuthoritativeSource;

/**
 * Answers from the zones this server is authoritative for (RFC 1034 §4.3.2): exact matches,
 * CNAME chains, wildcards, referrals, NXDOMAIN/NODATA with the SOA. Names outside every zone go
 * on down the chain.
 */
export class AuthoritativeStage extends Stage {
  readonly name = 'authoritative';
  readonly #out: Responder;
  readonly #zonesFor: ZoneSourceFor;

  constructor(out: Responder, zonesFor: ZoneSourceFor) {
    super();
    this.#out = out;
    this.#zonesFor = zonesFor;
  }

  handle(ctx: QueryContext): Outcome {
    const q = ctx.q;
    if (q.opcode !== Opcode.Query) return this.next.handle(ctx);
    const qname = readName(ctx.msg, q.qnameStart).name;
    const res = this.#zonesFor(ctx).lookup(qname, q.qtype, q.ednsDo);
    if (res === null) return this.next.handle(ctx);
    ctx.source = AnswerSource.Authoritative;
    this.#out.sendMessage(ctx, emptyMessage({
      id: q.id, qr: true, opcode: Opcode.Query, aa: res.aa, rd: q.rd, cd: q.cd,
      rcode: res.rcode,
      question: [{ name: qname, type: q.qtype, class: q.qclass }],
      answer: res.answer, authority: res.authority, additional: res.additional,
    }));
    return Outcome.Answered;
  }
}

export { RCode };
