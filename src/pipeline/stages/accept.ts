import { HEADER_SIZE, Opcode, RClass, RCode, RRType } from '../../wire/constants.js';
import { AnswerSource, TransportKind, type QueryContext } from '../context.js';
import type { Responder } from '../responder.js';
import { Outcome, Stage } from '../stage.js';
import type { QueryStats } from '../../observability/query-stats.js';

/**
 * Screens every packet from its header before anything else looks at it (miekg/dns
 * acceptfunc): responses and runts are dropped, malformed messages get FORMERR, unknown opcodes
 * NOTIMP, EDNS version > 0 BADVERS (RFC 6891 §6.1.3). Sets the client's response size limit.
 * UPDATE and NOTIFY pass on to the stages that handle them; an IXFR query may carry the
 * client's SOA in the authority section (RFC 1995 §3).
 */
export class AcceptStage extends Stage {
  readonly name = 'accept';
  readonly #out: Responder;
  readonly #udpSize: number;
  readonly #stats: QueryStats;
  readonly #opcodes: ReadonlySet<number>;

  constructor(out: Responder, opts: { udpPayloadSize: number; stats: QueryStats; opcodes: number[] }) {
    super();
    this.#out = out;
    this.#udpSize = opts.udpPayloadSize;
    this.#stats = opts.stats;
    this.#opcodes = new Set([Opcode.Query, ...opts.opcodes]);
  }

  handle(ctx: QueryContext): Outcome {
    const msg = ctx.msg;
    if (msg.length < HEADER_SIZE || (msg[2]! & 0x80) !== 0) {
      this.#out.drop(ctx); // a runt, or a response sent to us: never answer (reflection loops)
      return Outcome.Dropped;
    }
    const q = ctx.q;
    const ok = q.parse(msg);
    ctx.maxSize = ctx.transport !== TransportKind.Udp ? 65535 : q.hasEdns ? clamp(q.ednsUdpSize, this.#udpSize) : 512;
    if (!this.#opcodes.has(q.opcode)) {
      this.#out.error(ctx, RCode.NotImp);
      return Outcome.Answered;
    }
    if (!ok) {
      this.#stats.formerr++;
      this.#out.error(ctx, RCode.FormErr);
      return Outcome.Answered;
    }
    if (q.hasEdns && q.ednsVersion > 0) {
      this.#out.error(ctx, RCode.BadVers);
      return Outcome.Answered;
    }
    if (q.opcode === Opcode.Query) {
      const t = q.qtype;
      if (t === RRType.OPT || t === RRType.TSIG || t === RRType.TKEY || q.ancount !== 0 || q.nscount > (t === RRType.IXFR ? 1 : 0)) {
        this.#stats.formerr++;
        this.#out.error(ctx, RCode.FormErr);
        return Outcome.Answered;
      }
      if (t === RRType.MAILA || t === RRType.MAILB) {
        this.#out.error(ctx, RCode.NotImp);
        return Outcome.Answered;
      }
      if (q.qclass !== RClass.IN && q.qclass !== RClass.ANY) {
        this.#out.error(ctx, RCode.Refused, AnswerSource.Refused);
        return Outcome.Answered;
      }
    }
    return this.next.handle(ctx);
  }
}

function clamp(size: number, ours: number): number {
  return size < 512 ? 512 : size > ours ? ours : size;
}
