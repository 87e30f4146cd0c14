import type { DomainMap } from '../wire/domain-map.js';
import { HEADER_SIZE, RCode, RRType } from '../wire/constants.js';
import { decodeMessage, encodeMessage } from '../wire/message.js';
import { canonicalName, readName } from '../wire/name.js';
import { skipName } from '../wire/query-view.js';
import type { RR } from '../wire/types.js';
import { LookupResult } from '../zone/lookup.js';
import type { StoreAnswer } from '../zone/store.js';
import type { View } from './views.js';

/**
 * CNAME chains that enter local zones. The cache holds upstream answers for every view alike, so
 * when a forwarded (or cached, or stale) answer's chain reaches a name inside a zone the client's
 * view serves, the rest of the chain is replaced per client, on the way out, by that view's own
 * data: the CNAMEs up to that name are kept, everything after it comes from the zone lookup.
 * The check costs one pass over the answer section's records; only an answer that really enters
 * a local zone is decoded and re-encoded.
 */

const MAX_CHAIN = 16;
const scratch = new Uint8Array(256);

function u16(b: Uint8Array, p: number): number {
  return (b[p]! << 8) | b[p + 1]!;
}

/**
 * Copies the possibly compressed name at `buf[p..]` uncompressed into `out`; false when it is
 * malformed (pointers must point backwards, the name must fit 255 bytes).
 */
export function copyName(buf: Uint8Array, p: number, end: number, out: Uint8Array): boolean {
  let o = 0;
  let limit = p;
  for (let hops = 0; hops < 128; hops++) {
    if (p >= end) return false;
    const l = buf[p]!;
    if (l === 0) {
      out[o] = 0;
      return true;
    }
    if ((l & 0xc0) === 0xc0) {
      if (p + 1 >= end) return false;
      const ptr = ((l & 0x3f) << 8) | buf[p + 1]!;
      if (ptr >= limit) return false;
      limit = ptr;
      p = ptr;
      continue;
    }
    if (l > 63 || p + 1 + l > end || o + 1 + l >= 255) return false;
    for (let i = 0; i <= l; i++) out[o + i] = buf[p + i]!;
    o += l + 1;
    p += l + 1;
  }
  return false;
}

/** True when some CNAME in the answer section points into a zone of `zones`. Allocates nothing. */
export function cnameEntersZones(wire: Uint8Array, zones: DomainMap<true>): boolean {
  const len = wire.length;
  if (len < HEADER_SIZE || u16(wire, 4) !== 1) return false;
  let p = skipName(wire, HEADER_SIZE, len);
  if (p < 0) return false;
  p += 4;
  for (let i = u16(wire, 6); i > 0; i--) {
    p = skipName(wire, p, len);
    if (p < 0 || p + 10 > len) return false;
    const rd = p + 10;
    const end = rd + u16(wire, p + 8);
    if (end > len) return false;
    if (u16(wire, p) === RRType.CNAME && copyName(wire, rd, end, scratch) && zones.match(scratch, 0) === true) return true;
    p = end;
  }
  return false;
}

/**
 * For a response without OPT (as post stages see it) to a `qtype` question: when its CNAME chain
 * enters a zone `view` serves, the response with the chain completed from that zone (CNAMEs up
 * to the local name kept, the local answer, authority and additional after them, RCODE from the
 * local lookup, AA and AD cleared). Null when nothing is to be replaced: no CNAME into a local
 * zone, qtype CNAME, or a `fallthrough` zone that does not hold the name (the upstream's rest
 * of the chain then stands). Throws WireError on a malformed message.
 */
export function spliceLocalChain(wire: Uint8Array, view: View, qtype: number): Buffer | null {
  if (qtype === RRType.CNAME || !cnameEntersZones(wire, view.zoneMap)) return null;
  const msg = decodeMessage(wire);
  const question = msg.question[0];
  if (question === undefined) return null;
  const chain = new Set<string>();
  let key = canonicalName(question.name);
  for (let hop = 0; hop < MAX_CHAIN && !chain.has(key); hop++) {
    chain.add(key);
    const owner = key;
    const cname = msg.answer.find((rr) => rr.type === RRType.CNAME && canonicalName(rr.name) === owner);
    if (cname === undefined) return null;
    const target = readName(cname.rdata, 0).name;
    if (view.zoneMap.matchName(target) === true) {
      const local = view.lookup(target, qtype, { maxChain: MAX_CHAIN - hop });
      if (local !== null) return complete(msg, chain, local);
    }
    key = canonicalName(target);
  }
  return null;
}

function complete(msg: ReturnType<typeof decodeMessage>, chain: ReadonlySet<string>, local: StoreAnswer): Buffer {
  const kept: RR[] = msg.answer.filter((rr) => rr.type === RRType.CNAME && chain.has(canonicalName(rr.name)));
  msg.answer = kept.concat(local.answer);
  msg.authority = local.authority;
  msg.additional = local.additional;
  msg.rcode = local.result === LookupResult.NameError ? RCode.NXDomain : RCode.NoError;
  msg.aa = false;
  msg.ad = false;
  msg.edns = null;
  return encodeMessage(msg);
}
