import type { TsigKey } from '../tsig/keyring.js';
import type { ZoneIssue } from '../zone/errors.js';
import type { Zone } from '../zone/zone.js';
import { applyDiffs, zoneFromRecords } from './apply.js';
import { TsigStreamVerifier } from '../tsig/stream.js';
import { Opcode, RCode, RRType, rcodeToString } from '../wire/constants.js';
import { decodeMessage } from '../wire/message.js';
import { canonicalName } from '../wire/name.js';
import type { RR } from '../wire/types.js';
import { tcpExchange, tcpStream, udpExchange, type Endpoint } from './client.js';
import { serialOf, type ZoneDiff } from './diff.js';
import { XfrError } from './errors.js';
import { XfrReceiver, type Received } from './receive.js';
import { buildRequest, checkAnswer } from './request.js';

/**
 * The pulling side of replication, one exchange per call: the SOA check (UDP, TCP when
 * truncated) and a transfer (AXFR or IXFR over TCP), each signed with the primary's key when
 * one is configured, whose answer must then be signed too (every message of a transfer
 * verified in order, RFC 8945 §5.3.1).
 */

export interface PullTiming {
  /** SOA query timeout. */
  soaTimeoutMs: number;
  /** Longest silence while connecting or between transfer messages. */
  idleMs: number;
  /** Longest time for one whole transfer. */
  transferMs: number;
}

export const pullDefaults: PullTiming = { soaTimeoutMs: 2000, idleMs: 10_000, transferMs: 600_000 };

export interface PullContext {
  zone: string;
  zoneClass: number;
  key: TsigKey | null;
  /** Wall clock in seconds. */
  now: () => number;
  timing: PullTiming;
  signal?: AbortSignal;
}

/** Asks `ep` for the zone's SOA record; returns it (authoritative answers only). */
export async function querySoa(ep: Endpoint, c: PullContext): Promise<RR> {
  const req = buildRequest({ opcode: Opcode.Query, zone: c.zone, qtype: RRType.SOA }, c.key, c.now());
  let answer = await udpExchange(ep, req.wire, c.timing.soaTimeoutMs, c.signal);
  if ((answer[2]! & 0x02) !== 0) answer = await tcpExchange(ep, req.wire, c.timing.soaTimeoutMs, c.signal);
  const msg = checkAnswer(answer, req, c.now());
  const key = canonicalName(c.zone);
  const soa = msg.answer.find((rr) => rr.type === RRType.SOA && canonicalName(rr.name) === key);
  if (!soa) throw new XfrError('the SOA query got no SOA record for the zone');
  if (!msg.aa) throw new XfrError('the SOA answer is not authoritative');
  return soa;
}

/**
 * Transfers the zone from `ep`: IXFR from `have` (our current SOA) when given, else AXFR.
 * Resolves with the complete answer; rejects with XfrError when the stream breaks off, a
 * message fails its TSIG check, the server answers with an error, or the records break the
 * protocol. Nothing is applied here: the caller applies a complete answer only.
 */
export async function transfer(ep: Endpoint, c: PullContext, have: RR | null): Promise<Received> {
  const qtype = have ? RRType.IXFR : RRType.AXFR;
  const req = buildRequest({ opcode: Opcode.Query, zone: c.zone, qtype, ...(have ? { authority: [have] } : {}) }, c.key, c.now());
  const receiver = new XfrReceiver(c.zone, c.zoneClass, have ? serialOf(have) : null);
  const verifier = c.key ? new TsigStreamVerifier(c.key, req.mac) : null;
  await tcpStream(ep, req.wire, (m) => {
    if (verifier) {
      const v = verifier.next(m, c.now());
      if (v.status !== 'ok' && v.status !== 'unsigned') throw new XfrError(`transfer message failed its TSIG check: ${v.status.toUpperCase()}`, 'HZ_ERR_XFR_TSIG');
    }
    const rcode = m[3]! & 0xf;
    if (rcode !== RCode.NoError) throw new XfrError(`transfer answered ${rcodeToString(rcode)}`, 'HZ_ERR_XFR_RCODE');
    let answer: RR[];
    try {
      answer = decodeMessage(m).answer;
    } catch (err) {
      throw new XfrError(`malformed transfer message: ${(err as Error).message}`);
    }
    const done = receiver.feed(answer);
    if (done && verifier && !verifier.complete) throw new XfrError('the last transfer message is not signed', 'HZ_ERR_XFR_TSIG');
    return done;
  }, { idleMs: c.timing.idleMs, totalMs: c.timing.transferMs, ...(c.signal ? { signal: c.signal } : {}) });
  return receiver.result!;
}

/** One IXFR difference applied, and the version it made. */
export interface Step {
  readonly zone: Zone;
  readonly diff: ZoneDiff;
}

/** A complete transfer turned into a zone version (nothing is served or saved here). */
export type Pulled =
  | { readonly kind: 'uptodate' }
  | { readonly kind: 'axfr'; readonly zone: Zone; readonly records: number; readonly warnings: readonly ZoneIssue[] }
  | { readonly kind: 'ixfr'; readonly zone: Zone; readonly steps: readonly Step[]; readonly changes: number };

/**
 * Transfers and builds the next version of a zone from `ep`: IXFR from `held` when we have a
 * version, falling back to AXFR when the IXFR fails or does not apply to it (`fallback` is told
 * why); AXFR at once when we have nothing. Throws XfrError when no complete, servable zone came.
 */
export async function pullZone(ep: Endpoint, c: PullContext, held: Zone | null, fallback: (why: string) => void): Promise<Pulled> {
  if (held !== null) {
    try {
      return fromIncremental(held, await transfer(ep, c, held.soa.rrs[0]!));
    } catch (err) {
      if (c.signal?.aborted) throw err;
      fallback((err as Error).message);
    }
  }
  const r = await transfer(ep, c, null);
  if (r.kind !== 'axfr') throw new XfrError('an AXFR was not answered with a zone');
  const { zone, warnings } = zoneFromRecords(c.zone, c.zoneClass, r.records);
  return { kind: 'axfr', zone, records: r.records.length, warnings };
}

function fromIncremental(held: Zone, r: Received): Pulled {
  if (r.kind === 'uptodate') return r;
  if (r.kind === 'axfr') {
    const { zone, warnings } = zoneFromRecords(held.origin, held.class, r.records);
    return { kind: 'axfr', zone, records: r.records.length, warnings };
  }
  const versions = applyDiffs(held, r.diffs);
  const zone = versions.at(-1) ?? held;
  if (zone.serial !== serialOf(r.soa)) throw new XfrError(`IXFR ends at serial ${zone.serial}, the primary has ${serialOf(r.soa)}`);
  let changes = 0;
  for (const d of r.diffs) changes += d.deleted.length + d.added.length;
  return { kind: 'ixfr', zone, steps: versions.map((v, i) => ({ zone: v, diff: r.diffs[i]! })), changes };
}
