import { RCode, RRType, RClass } from '../../wire/constants.js';
import { nameToWire } from '../../wire/name.js';
import { DomainMap } from '../../wire/domain-map.js';
import { AnswerSource, type QueryContext } from '../context.js';
import type { Responder } from '../responder.js';
import { Outcome, Stage } from '../stage.js';

/** Default TTL (and SOA MINIMUM) of the local NXDOMAIN answers. */
export const LOCAL_NXDOMAIN_TTL = 300;

const MNAME = nameToWire('localhost.');
const RNAME = nameToWire('nobody.invalid.');

/**
 * The SOA record put in the authority section of a local NXDOMAIN for `domain`, pre-encoded
 * once: `domain SOA localhost. nobody.invalid. 1 3600 600 86400 <ttl>` with TTL `ttl`, so a
 * downstream cache can keep the negative answer for `ttl` seconds (RFC 2308 §5).
 */
export function localSoaRecord(domain: string, ttl: number): Uint8Array {
  const owner = nameToWire(domain.endsWith('.') ? domain.toLowerCase() : domain.toLowerCase() + '.');
  const rdlen = MNAME.length + RNAME.length + 20;
  const out = Buffer.alloc(owner.length + 10 + rdlen);
  let p = 0;
  out.set(owner, p); p += owner.length;
  out.writeUInt16BE(RRType.SOA, p); out.writeUInt16BE(RClass.IN, p + 2);
  out.writeUInt32BE(ttl, p + 4); out.writeUInt16BE(rdlen, p + 8); p += 10;
  out.set(MNAME, p); p += MNAME.length;
  out.set(RNAME, p); p += RNAME.length;
  for (const v of [1, 3600, 600, 86400, ttl]) { out.writeUInt32BE(v, p); p += 4; }
  return out;
}

/** Compiles the `nxdomain` list into the map this stage reads. */
export function compileNxdomain(domains: readonly string[], ttl = LOCAL_NXDOMAIN_TTL): DomainMap<Uint8Array> {
  const map = new DomainMap<Uint8Array>();
  for (const d of domains) map.set(d, localSoaRecord(d, ttl));
  return map;
}

/**
 * Names at or below the configured domains are answered NXDOMAIN here, with a synthetic SOA,
 * and never forwarded (e.g. search-list junk, `wpad.`, names that must not leak upstream).
 * Conditional forwarding (which upstream group) is decided by the forwarder on a miss, so cache
 * hits never pay for it.
 */
export class LocalPolicyStage extends Stage {
  readonly name = 'local-policy';
  readonly #out: Responder;
  readonly #nxdomain: DomainMap<Uint8Array>;

  constructor(out: Responder, nxdomain: DomainMap<Uint8Array> | readonly string[]) {
    super();
    this.#out = out;
    this.#nxdomain = nxdomain instanceof DomainMap ? nxdomain : compileNxdomain(nxdomain);
  }

  handle(ctx: QueryContext): Outcome {
    const q = ctx.q;
    const soa = this.#nxdomain.match(q.buf, q.qnameStart);
    if (soa === undefined) return this.next.handle(ctx);
    const end = q.questionEnd;
    const out = Buffer.allocUnsafe(end + soa.length);
    q.buf.copy(out, 0, 0, end);
    out[2] = 0x84 | (q.buf[2]! & 0x79); // QR, AA; opcode and RD echoed
    out[3] = 0x80 | RCode.NXDomain; // RA
    out.writeUInt32BE(0x00010000, 4); // QDCOUNT 1, ANCOUNT 0
    out.writeUInt32BE(0x00010000, 8); // NSCOUNT 1, ARCOUNT 0
    out.set(soa, end);
    ctx.source = AnswerSource.Local;
    this.#out.send(ctx, out);
    return Outcome.Answered;
  }
}
