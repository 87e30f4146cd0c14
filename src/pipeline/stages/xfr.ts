import type { Logger } from '../../observability/log.js';
import { ThrottledWarn } from '../../transport/logger.js';
import { TsigStreamSigner } from '../../tsig/stream.js';
import { serialGt } from '../../update/serial.js';
import { Opcode, RClass, RCode, RRType } from '../../wire/constants.js';
import { decodeMessage } from '../../wire/message.js';
import { canonicalName, readName } from '../../wire/name.js';
import { emptyMessage, type RR } from '../../wire/types.js';
import type { ZoneStore } from '../../zone/store.js';
import type { Zone } from '../../zone/zone.js';
import { serialOf } from '../../xfr/diff.js';
import type { ReplicationManager } from '../../xfr/manager.js';
import type { ServedKind } from '../../xfr/metrics.js';
import { packMessages } from '../../xfr/pack.js';
import { axfrRecords, ixfrRecords } from '../../xfr/records.js';
import { AnswerSource, isStream, type QueryContext } from '../context.js';
import type { Responder } from '../responder.js';
import { Outcome, Stage } from '../stage.js';

export interface XfrStageOptions {
  /** The zones the client of `ctx` sees (its view's store): transfers serve that version. */
  zonesFor: (ctx: QueryContext) => ZoneStore;
  /** Our EDNS UDP size, for the OPT record of transfer messages. */
  udpPayloadSize: number;
  log: Logger;
  /** Wall clock in seconds (TSIG). */
  now?: () => number;
}

/**
 * Zone transfers as primary (RFC 5936 AXFR, RFC 1995 IXFR), and SERVFAIL for names in secondary
 * zones that are not served (never transferred, or expired: RFC 1035 §4.3.5 "stop answering").
 * Sits after the tsig stage, so `ctx.tsig` is null or verified.
 *
 * - The zone must be served to the client's view at its apex (NOTAUTH otherwise) and
 *   `allowTransfer` must let the client in (REFUSED otherwise, counted).
 * - TCP: the answer streams over several messages, each signed when the request was.
 *   IXFR: the differences since the client's serial from the history, or the whole zone in
 *   IXFR's AXFR form when the history does not reach back; a single SOA when it is up to date.
 * - UDP: IXFR gets the current SOA alone (RFC 1995 §2: "use TCP"); AXFR is TCP-only (NOTIMP).
 */
export class XfrStage extends Stage {
  readonly name = 'xfr';
  readonly #out: Responder;
  readonly #repl: ReplicationManager;
  readonly #zonesFor: (ctx: QueryContext) => ZoneStore;
  readonly #udpSize: number;
  readonly #log: Logger;
  readonly #refusals: ThrottledWarn;
  readonly #now: () => number;

  constructor(out: Responder, repl: ReplicationManager, opts: XfrStageOptions) {
    super();
    this.#out = out;
    this.#repl = repl;
    this.#zonesFor = opts.zonesFor;
    this.#udpSize = opts.udpPayloadSize;
    this.#log = opts.log.child({ component: 'xfr' });
    this.#refusals = new ThrottledWarn(this.#log, 60_000);
    this.#now = opts.now ?? (() => Date.now() / 1000);
  }

  handle(ctx: QueryContext): Outcome {
    const q = ctx.q;
    if (q.opcode !== Opcode.Query) return this.next.handle(ctx);
    if (q.qtype === RRType.AXFR || q.qtype === RRType.IXFR) return this.#transfer(ctx);
    if (this.#repl.unavailableCount > 0 && this.#unavailable(ctx)) {
      this.#out.error(ctx, RCode.ServFail);
      return Outcome.Answered;
    }
    return this.next.handle(ctx);
  }

  /** True when the name lies in a secondary zone that is not served, and no deeper zone of the view holds it. */
  #unavailable(ctx: QueryContext): boolean {
    const qname = readName(ctx.msg, ctx.q.qnameStart).name;
    const blocked = this.#repl.unavailableFor(qname);
    if (blocked === null) return false;
    const served = this.#zonesFor(ctx).findZone(qname);
    return served === null || served.key.length <= blocked.length;
  }

  #transfer(ctx: QueryContext): Outcome {
    const qname = readName(ctx.msg, ctx.q.qnameStart).name;
    const key = canonicalName(qname);
    const zone = this.#zonesFor(ctx).get(key);
    if (zone === undefined || ctx.q.qclass !== RClass.IN) {
      const sz = this.#repl.secondary(key);
      this.#out.error(ctx, sz && !sz.available ? RCode.ServFail : RCode.NotAuth);
      return Outcome.Answered;
    }
    const tsig = ctx.tsig;
    const keyName = tsig?.status === 'ok' ? tsig.key!.name : null;
    if (!this.#repl.transferAllowed(key, ctx.address, keyName)) {
      this.#repl.counters.refused.inc(key, 'refused');
      this.#refusals.warn({ zone: zone.origin, client: ctx.address, key: keyName ?? '(none)' }, 'zone transfer refused by allowTransfer');
      this.#out.error(ctx, RCode.Refused, AnswerSource.Refused);
      return Outcome.Answered;
    }
    ctx.source = AnswerSource.Authoritative;
    if (ctx.q.qtype === RRType.AXFR) {
      if (!isStream(ctx.transport)) {
        this.#out.error(ctx, RCode.NotImp);
        return Outcome.Answered;
      }
      return this.#stream(ctx, zone, 'axfr', axfrRecords(zone));
    }
    const theirs = clientSerial(ctx, key);
    if (theirs === null) {
      this.#out.error(ctx, RCode.FormErr);
      return Outcome.Answered;
    }
    if (!isStream(ctx.transport) || !serialGt(zone.serial, theirs)) {
      if (isStream(ctx.transport)) this.#repl.counters.served.inc(key, 'uptodate');
      this.#out.sendMessage(ctx, emptyMessage({
        id: ctx.q.id, qr: true, aa: true, question: [{ name: qname, type: RRType.IXFR, class: RClass.IN }], answer: [zone.soa.rrs[0]!],
      }));
      return Outcome.Answered;
    }
    const diffs = this.#repl.history(key)?.since(theirs, zone) ?? null;
    if (diffs === null) return this.#stream(ctx, zone, 'ixfr_full', axfrRecords(zone));
    return this.#stream(ctx, zone, 'ixfr', ixfrRecords(zone, diffs));
  }

  #stream(ctx: QueryContext, zone: Zone, kind: ServedKind, records: Iterable<RR>): Outcome {
    const c = ctx.detach();
    const tsig = c.tsig;
    const signer = tsig?.status === 'ok' ? new TsigStreamSigner(tsig.key!, Buffer.from(tsig.mac)) : null;
    const qname = readName(c.msg, c.q.qnameStart).name;
    const messages = packMessages(records, {
      id: c.q.id,
      question: { name: qname, type: c.q.qtype, class: c.q.qclass },
      rd: c.q.rd,
      edns: c.q.hasEdns ? { udpSize: this.#udpSize } : null,
      reserve: signer ? signer.reserve : 0,
    });
    const started = performance.now();
    const sign = signer === null ? null : (wire: Buffer): Buffer => signer.sign(wire, this.#now());
    void this.#out.stream(c, messages, sign).then((r) => {
      if (r.complete) this.#repl.counters.served.inc(zone.key, kind);
      this.#log.info({
        zone: zone.origin, serial: zone.serial, type: kind, client: c.address, key: tsig?.key?.name ?? null,
        messages: r.messages, bytes: r.bytes, ms: Math.round(performance.now() - started), complete: r.complete,
      }, r.complete ? 'zone transfer served' : 'zone transfer broken off');
    });
    return Outcome.Pending;
  }
}

/** IXFR: the serial of the SOA the client put in the authority section (RFC 1995 §3), or null. */
function clientSerial(ctx: QueryContext, key: string): number | null {
  if (ctx.q.nscount !== 1) return null;
  try {
    const soa = decodeMessage(ctx.msg).authority[0]!;
    return soa.type === RRType.SOA && canonicalName(soa.name) === key ? serialOf(soa) : null;
  } catch {
    return null;
  }
}
