import type { View } from '../../view/views.js';
import { HEADER_SIZE, Opcode, RClass, RRType } from '../../wire/constants.js';
import { decodeMessage, encodeMessage } from '../../wire/message.js';
import { canonicalName, nameToWire, readName } from '../../wire/name.js';
import type { RR } from '../../wire/types.js';
import type { QueryContext } from '../context.js';
import type { PostStage } from '../responder.js';
import { Outcome, Stage } from '../stage.js';

/**
 * `translateReverse`: a client of a translating view that asks PTR for an internal address
 * covered by a rule (`200.20.0.10.in-addr.arpa.`) gets the PTR data of the external address it
 * stands for (`10.113.0.203.in-addr.arpa.`), so `dig -x` on the address a LAN client connected
 * to shows the public name.
 *
 * The question is replaced, not answered here: this stage rewrites the query (`ctx.msg`,
 * `ctx.q`) to the external name and hands it on down the chain, so the external name is
 * resolved exactly as if the client had asked for it (a local zone, the cache, upstream), with
 * its own TTL, and shares its cache entry with everyone who asks for it. The client's own
 * question travels in `ctx.view` (a per-query copy of the view with `reverse` set), and
 * `ReverseQuestionStage` puts it back into the response on the way out.
 *
 * Sits after TSIG verification (which reads the bytes as the client sent them) and before the
 * authoritative stage. Costs non-PTR queries one comparison.
 */
export class ReverseTranslateStage extends Stage {
  readonly name = 'reverse-translate';

  handle(ctx: QueryContext): Outcome {
    const q = ctx.q;
    const v = ctx.view;
    if (q.qtype !== RRType.PTR || v === null || v.translation === null || !v.translateReverse || v.reverse !== null) return this.next.handle(ctx);
    if (q.opcode !== Opcode.Query || q.qclass !== RClass.IN) return this.next.handle(ctx);
    const original = ctx.msg;
    const name = readName(original, q.qnameStart).name;
    const external = v.translation.translateReverseName(name);
    if (external === null) return this.next.handle(ctx);
    const qname = nameToWire(external);
    const msg = Buffer.allocUnsafe(HEADER_SIZE + qname.length + original.length - q.qnameEnd);
    original.copy(msg, 0, 0, HEADER_SIZE);
    msg.set(qname, HEADER_SIZE);
    original.copy(msg, HEADER_SIZE + qname.length, q.qnameEnd); // QTYPE, QCLASS, OPT and the rest
    if (!q.parse(msg)) {
      q.parse(original);
      return this.next.handle(ctx);
    }
    ctx.msg = msg;
    ctx.view = v.withReverse({ original, name, external });
    v.counters.reverseRewrites++;
    return this.next.handle(ctx);
  }
}

/**
 * Post stage of translateReverse: in a response to a rewritten PTR question, puts the client's
 * question back and renames the records owned by the external name to the client's name (the
 * answer owner is the question name). Other records (the SOA of a negative answer, CNAME
 * targets) are left as they are. Runs for every RCODE; a response it cannot read goes out
 * unchanged.
 */
export class ReverseQuestionStage implements PostStage {
  readonly name = 'reverse-question';

  apply(ctx: QueryContext, wire: Buffer): Buffer {
    const v = ctx.view;
    const r = v === null ? null : v.reverse;
    if (r === null) return wire;
    try {
      const msg = decodeMessage(wire);
      const q = msg.question[0];
      if (q === undefined || canonicalName(q.name) !== r.external) return wire;
      q.name = r.name;
      rename(msg.answer, r.external, r.name);
      rename(msg.authority, r.external, r.name);
      rename(msg.additional, r.external, r.name);
      return encodeMessage(msg);
    } catch {
      return wire;
    }
  }
}

function rename(section: RR[], from: string, to: string): void {
  for (const rr of section) if (canonicalName(rr.name) === from) rr.name = to;
}
