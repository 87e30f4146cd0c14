import { RRType } from '../wire/constants.js';
import { decodeMessage, encodeMessage } from '../wire/message.js';
import { readName } from '../wire/name.js';
import type { RR } from '../wire/types.js';

/** An upstream answer with the records that do not belong to the question removed. */
export interface Scrubbed {
  readonly wire: Buffer;
  /** Records removed (0: `wire` is the original buffer). */
  readonly removed: number;
}

/** Longest CNAME/DNAME chain followed (BIND and Unbound stop around here too). */
const MAX_CHAIN = 16;

/**
 * Scrubs an upstream answer before it is cached or sent, as Unbound's scrubber does for a
 * forwarder (cold path: once per upstream answer):
 *
 * - ANSWER keeps only the chain from the question name: the CNAMEs (and DNAMEs with their
 *   synthesised CNAMEs) leading from QNAME to the final name, the records of QTYPE at the final
 *   name (all of them for ANY), and RRSIGs of those owners. An unrelated record an upstream (or a
 *   spoofer) added never reaches a client;
 * - AUTHORITY keeps SOA, NS and DS records whose owner is the final name or above it (or above any
 *   name of the chain), and NSEC/NSEC3/RRSIG inside that zone;
 * - ADDITIONAL keeps only address records (and their RRSIGs) of names the kept records point
 *   at (NS, MX, SRV, SVCB/HTTPS targets);
 * - everything must be at or below `bailiwick` (the forwarded domain; `.` forwards everything).
 *
 * Returns the original buffer when nothing is removed. Throws WireError on a message that
 * cannot be decoded (the caller treats that as a failed upstream answer).
 */
export function scrubAnswer(wire: Buffer, bailiwick = '.'): Scrubbed {
  const msg = decodeMessage(wire);
  const q = msg.question[0];
  if (msg.question.length !== 1 || q === undefined) return { wire, removed: 0 };
  const zone = bailiwick.toLowerCase();
  const qtype = q.type;

  // The chain: QNAME, then each CNAME target / DNAME substitution in turn.
  const answer = msg.answer;
  const owners = answer.map((rr) => rr.name.toLowerCase());
  const chain: string[] = [q.name.toLowerCase()];
  const used = new Set<number>();
  const dnameOwners: string[] = [];
  let cur = chain[0]!;
  for (let step = 0; step < MAX_CHAIN; step++) {
    let next: string | null = null;
    for (let i = 0; i < answer.length && next === null; i++) {
      if (used.has(i)) continue;
      const rr = answer[i]!;
      if (rr.type === RRType.CNAME && qtype !== RRType.CNAME && owners[i] === cur) {
        next = target(rr, 0);
      } else if (rr.type === RRType.DNAME && qtype !== RRType.DNAME && cur !== owners[i] && below(cur, owners[i]!)) {
        const tgt = target(rr, 0);
        next = cur.slice(0, cur.length - owners[i]!.length) + (tgt === '.' ? '' : tgt);
        dnameOwners.push(owners[i]!);
      }
      if (next !== null) used.add(i);
    }
    if (next === null || chain.includes(next)) break;
    chain.push(next);
    cur = next;
  }
  const onChain = new Set(chain);
  const keepAnswer = answer.map((rr, i) => {
    const owner = owners[i]!;
    if (!below(owner, zone)) return false;
    if (used.has(i)) return true;
    if (owner === cur && (qtype === RRType.ANY || rr.type === qtype)) return true;
    if (rr.type === RRType.CNAME) return onChain.has(owner) && onChain.has(target(rr, 0)) && owner !== cur; // synthesised from a DNAME
    if (rr.type === RRType.RRSIG) return onChain.has(owner) || dnameOwners.includes(owner);
    return false;
  });

  // AUTHORITY: the zone of some name on the chain.
  const authority = msg.authority;
  const aOwners = authority.map((rr) => rr.name.toLowerCase());
  let apex = '';
  const keepAuthority = authority.map((rr, i) => {
    const owner = aOwners[i]!;
    if (!below(owner, zone)) return false;
    if (rr.type === RRType.SOA || rr.type === RRType.NS || rr.type === RRType.DS) {
      const ok = chain.some((n) => below(n, owner));
      if (ok && (rr.type !== RRType.DS) && owner.length > apex.length) apex = owner;
      return ok;
    }
    return rr.type === RRType.NSEC || rr.type === RRType.NSEC3 || rr.type === RRType.RRSIG;
  });
  // NSEC/NSEC3/RRSIG must sit in the zone a kept SOA/NS names (without one, e.g. a wildcard
  // proof, they stay: they are never served for their own name).
  if (apex !== '') {
    authority.forEach((rr, i) => {
      if (keepAuthority[i] && rr.type !== RRType.SOA && rr.type !== RRType.NS && rr.type !== RRType.DS) keepAuthority[i] = below(aOwners[i]!, apex);
    });
  }

  // ADDITIONAL: addresses of the names kept records point at.
  const wanted = new Set<string>();
  answer.forEach((rr, i) => { if (keepAnswer[i]) addTargets(rr, wanted); });
  authority.forEach((rr, i) => { if (keepAuthority[i]) addTargets(rr, wanted); });
  const keepAdditional = msg.additional.map((rr) => {
    if (rr.type === RRType.TSIG) return true; // the packer removes it; it is not data
    const owner = rr.name.toLowerCase();
    if (!below(owner, zone) || !wanted.has(owner)) return false;
    return rr.type === RRType.A || rr.type === RRType.AAAA || rr.type === RRType.RRSIG;
  });

  const removed = count(keepAnswer) + count(keepAuthority) + count(keepAdditional);
  if (removed === 0) return { wire, removed: 0 };
  msg.answer = answer.filter((_, i) => keepAnswer[i]);
  msg.authority = authority.filter((_, i) => keepAuthority[i]);
  msg.additional = msg.additional.filter((_, i) => keepAdditional[i]);
  return { wire: encodeMessage(msg), removed };
}

function count(keep: boolean[]): number {
  let n = 0;
  for (const k of keep) if (!k) n++;
  return n;
}

/** `name` is `parent` or below it (lower-case presentation names with the final dot). */
function below(name: string, parent: string): boolean {
  return parent === '.' || name === parent || name.endsWith('.' + parent);
}

/** A domain name inside RDATA (uncompressed after decoding), lower-cased. */
function target(rr: RR, offset: number): string {
  return readName(rr.rdata, offset).name.toLowerCase();
}

function addTargets(rr: RR, into: Set<string>): void {
  try {
    switch (rr.type) {
      case RRType.NS: into.add(target(rr, 0)); break;
      case RRType.MX: into.add(target(rr, 2)); break;
      case RRType.SRV: into.add(target(rr, 6)); break;
      case RRType.SVCB: case RRType.HTTPS: into.add(target(rr, 2)); break;
      default: break;
    }
  } catch {
    // Malformed RDATA names nothing.
  }
}
