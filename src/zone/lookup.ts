import { RRType } from '../wire/constants.js';
import { canonicalName, isSubdomain, readName } from '../wire/name.js';
import { rdataTargetName } from '../wire/rdata/index.js';
import type { RR } from '../wire/types.js';
import type { RRset, ZoneNode } from './rrset.js';
import type { Zone } from './zone.js';
import { HzError } from '../errors/index.js';

/**
 * Authoritative lookup in one zone (RFC 1034 §4.3.2 step 3, RFC 2308, RFC 4592).
 *
 * - Exact match: the RRset (Success) or, with no RRset of the type, the SOA in authority
 *   (NoData). An empty non-terminal is NoData and never matches a wildcard.
 * - CNAME (qtype not CNAME): the CNAME goes in the answer and its target is looked up again
 *   (Success/NoData/NameError/Delegation describe the last name), at most `maxChain` links; a
 *   loop ends the chain. A target outside the zone is left in `next` for the caller (the
 *   ZoneStore continues it in another zone).
 * - Name below a zone cut (NS below the apex): referral, NS in authority, addresses of the NS
 *   targets found in this zone in additional, aa false (true when CNAMEs are already in the
 *   answer: AA describes the first owner name, RFC 1035 §4.1.1). DS at the cut itself is
 *   answered from this (parent) side, RFC 4035 §3.1.4.1.
 * - No such name: the wildcard `*.<closest encloser>` answers with the qname as owner,
 *   otherwise NameError with the SOA in authority.
 * - Negative answers carry the SOA with TTL min(SOA TTL, SOA MINIMUM) (RFC 2308 §3).
 * - ANY (RFC 8482 §4.1): one RRset, the one with the lowest type number at the name; with
 *   `allForAny` (used for queries over TCP, where a large answer amplifies nothing) every RRset
 *   at the name, in type order, as BIND does.
 * - Additional: A then AAAA records, from this zone, of the targets of NS, MX and SRV records
 *   in the answer, skipping targets below a zone cut.
 * - Positive answers carry no NS in authority (minimal responses). DNAME records are served as
 *   data only (no synthesis), and no DNSSEC records are added.
 */

export const LookupResult = { Success: 0, NameError: 1, NoData: 2, Delegation: 3 } as const;
export type LookupResult = (typeof LookupResult)[keyof typeof LookupResult];

export interface LookupAnswer {
  result: LookupResult;
  /** Authoritative answer flag. */
  aa: boolean;
  answer: RR[];
  authority: RR[];
  additional: RR[];
  /** Target of a CNAME chain that left the zone, not answered yet; otherwise null. */
  next: string | null;
}

export interface LookupOptions {
  /** Maximum CNAME links followed. Default 16. */
  maxChain?: number;
  /** ANY answers with every RRset at the name instead of the RFC 8482 minimal one. */
  allForAny?: boolean;
}

const TARGET_TYPES = new Set<number>([RRType.NS, RRType.MX, RRType.SRV]);

/** Looks `qname` (which must be in the zone, else RangeError) up for `qtype`. */
export function lookup(zone: Zone, qname: string, qtype: number, opts?: LookupOptions): LookupAnswer {
  if (!isSubdomain(qname, zone.origin)) throw new HzError('HZ_ERR_INVALID_ARGUMENT', `${qname} is not in zone ${zone.origin}`);
  const out: LookupAnswer = { result: LookupResult.Success, aa: true, answer: [], authority: [], additional: [], next: null };
  const max = opts?.maxChain ?? 16;
  const all = opts?.allForAny === true;
  let name = qname;
  const seen: string[] = [];
  for (;;) {
    const key = canonicalName(name);
    seen.push(key);
    const target = step(zone, key, name, qtype, all, out);
    if (target === null) break;
    if (!isSubdomain(target, zone.origin)) { out.next = target; break; }
    if (seen.length >= max || seen.includes(canonicalName(target))) break;
    name = target;
  }
  if (out.result === LookupResult.Success) addAdditional(zone, out);
  return out;
}

/** One RFC 1034 step-3 pass for `name`; returns a CNAME target to continue with, or null. */
function step(zone: Zone, key: string, name: string, qtype: number, all: boolean, out: LookupAnswer): string | null {
  const starts = labelStarts(key, zone.key);
  let encloser = zone.nodeAt(zone.key)!;
  for (let j = starts.length - 1; j >= 0; j--) {
    const node = zone.nodeAt(j === 0 ? key : key.slice(starts[j]));
    if (node === undefined) return wildcard(zone, encloser, name, qtype, all, out);
    if (node.rrsets.has(RRType.NS) && !(j === 0 && qtype === RRType.DS)) {
      referral(zone, node.rrsets.get(RRType.NS)!, out);
      return null;
    }
    encloser = node;
  }
  return answerNode(zone, encloser, null, qtype, all, out);
}

/** Start offsets of the labels of `key` that lie below `apex`, most specific first. */
function labelStarts(key: string, apex: string): number[] {
  const end = apex === '.' ? key.length : key.length - apex.length;
  const starts: number[] = [];
  if (end <= 0) return starts;
  starts.push(0);
  for (let i = 0; i < end - 1; i++) {
    const c = key.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x2e) starts.push(i + 1);
  }
  return starts;
}

function wildcard(zone: Zone, encloser: ZoneNode, name: string, qtype: number, all: boolean, out: LookupAnswer): string | null {
  const w = zone.nodeAt(encloser.key === '.' ? '*.' : '*.' + encloser.key);
  if (w === undefined) {
    out.result = LookupResult.NameError;
    out.authority.push(zone.negativeSoa);
    return null;
  }
  return answerNode(zone, w, name, qtype, all, out);
}

/** Answers from a node; `owner` set means a wildcard match, synthesized with that owner. */
function answerNode(zone: Zone, node: ZoneNode, owner: string | null, qtype: number, all: boolean, out: LookupAnswer): string | null {
  const sets = node.rrsets;
  let set: RRset | undefined;
  if (qtype === RRType.ANY && all && sets.size > 0) {
    for (const t of [...sets.keys()].sort((a, b) => a - b)) push(out.answer, sets.get(t)!, owner);
    out.result = LookupResult.Success;
    return null;
  }
  if (qtype === RRType.ANY) {
    let min = 0x10000;
    for (const t of sets.keys()) if (t < min) min = t;
    set = sets.get(min);
  } else {
    set = sets.get(qtype);
  }
  if (set !== undefined) {
    push(out.answer, set, owner);
    out.result = LookupResult.Success;
    return null;
  }
  const cname = sets.get(RRType.CNAME);
  if (cname !== undefined) {
    push(out.answer, cname, owner);
    return readName(cname.rrs[0]!.rdata, 0).name;
  }
  out.result = LookupResult.NoData;
  out.authority.push(zone.negativeSoa);
  return null;
}

function push(section: RR[], set: RRset, owner: string | null): void {
  if (owner === null) {
    for (const rr of set.rrs) section.push(rr);
    return;
  }
  for (const rr of set.rrs) section.push({ name: owner, type: rr.type, class: rr.class, ttl: rr.ttl, rdata: rr.rdata });
}

function referral(zone: Zone, ns: RRset, out: LookupAnswer): void {
  out.result = LookupResult.Delegation;
  out.aa = out.answer.length > 0;
  push(out.authority, ns, null);
  for (const rr of ns.rrs) addAddresses(zone, readName(rr.rdata, 0).name, out.additional, true);
}

/** Addresses for the targets of NS/MX/SRV records in the answer. */
function addAdditional(zone: Zone, out: LookupAnswer): void {
  for (const rr of out.answer) {
    if (!TARGET_TYPES.has(rr.type)) continue;
    const target = rdataTargetName(rr.type, rr.rdata);
    if (target !== null && target !== '.') addAddresses(zone, target, out.additional, false);
  }
}

function addAddresses(zone: Zone, target: string, section: RR[], glue: boolean): void {
  if (!isSubdomain(target, zone.origin)) return;
  const key = canonicalName(target);
  const node = zone.nodeAt(key);
  if (node === undefined || (!glue && belowCut(zone, key))) return;
  pushNew(section, node.rrsets.get(RRType.A));
  pushNew(section, node.rrsets.get(RRType.AAAA));
}

function pushNew(section: RR[], set: RRset | undefined): void {
  if (set !== undefined) for (const rr of set.rrs) if (!section.includes(rr)) section.push(rr);
}

/** True when some name strictly between the apex and `key` (or `key` itself) holds NS. */
function belowCut(zone: Zone, key: string): boolean {
  const starts = labelStarts(key, zone.key);
  for (let j = starts.length - 1; j >= 0; j--) {
    if (zone.nodeAt(j === 0 ? key : key.slice(starts[j]))?.rrsets.has(RRType.NS)) return true;
  }
  return false;
}
