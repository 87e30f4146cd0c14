import { HEADER_SIZE, RRType } from '../wire/constants.js';
import { skipName } from '../wire/query-view.js';
import type { Family } from './address.js';

/**
 * Finds the addresses in a DNS message without decoding it: the RDATA of A and AAAA records and
 * the ipv4hint/ipv6hint values of SVCB and HTTPS records (RFC 9460 §7.3), in the answer and
 * additional sections (the authority section holds no addresses a client connects to). Used per
 * answer by split-horizon translation, so it allocates nothing.
 */

/** Receives each address found; returns true when it did something with it (counted). */
export interface AddressVisitor {
  address(buf: Uint8Array, offset: number, family: Family): boolean;
}

const SVC_IPV4HINT = 4;
const SVC_IPV6HINT = 6;

function u16(b: Uint8Array, p: number): number {
  return (b[p]! << 8) | b[p + 1]!;
}

/**
 * Calls `visitor.address` for every address in `wire` (a whole message, header first) and
 * returns how many calls returned true. A malformed message is walked as far as it is readable.
 */
export function visitAddresses(wire: Uint8Array, visitor: AddressVisitor): number {
  const len = wire.length;
  if (len < HEADER_SIZE) return 0;
  const an = u16(wire, 6);
  const ns = u16(wire, 8);
  const total = an + ns + u16(wire, 10);
  let p = HEADER_SIZE;
  for (let i = u16(wire, 4); i > 0; i--) {
    p = skipName(wire, p, len);
    if (p < 0 || p + 4 > len) return 0;
    p += 4;
  }
  let n = 0;
  for (let i = 0; i < total; i++) {
    p = skipName(wire, p, len);
    if (p < 0 || p + 10 > len) return n;
    const type = u16(wire, p);
    const rd = p + 10;
    const end = rd + u16(wire, p + 8);
    if (end > len) return n;
    if (i < an || i >= an + ns) {
      if (type === RRType.A) {
        if (end - rd === 4 && visitor.address(wire, rd, 4)) n++;
      } else if (type === RRType.AAAA) {
        if (end - rd === 16 && visitor.address(wire, rd, 6)) n++;
      } else if (type === RRType.SVCB || type === RRType.HTTPS) {
        n += visitHints(wire, rd, end, visitor);
      }
    }
    p = end;
  }
  return n;
}

/**
 * Offset of the first SvcParam in the SVCB/HTTPS RDATA at `wire[rd..end)`: after SvcPriority and
 * the TargetName, which is never compressed (RFC 9460 §2.2). -1 when malformed.
 */
export function svcParamsStart(wire: Uint8Array, rd: number, end: number): number {
  let p = rd + 2;
  for (let guard = 0; guard < 128; guard++) {
    if (p >= end) return -1;
    const l = wire[p]!;
    if (l === 0) return p + 1;
    if (l > 63) return -1;
    p += l + 1;
  }
  return -1;
}

function visitHints(wire: Uint8Array, rd: number, end: number, visitor: AddressVisitor): number {
  let p = svcParamsStart(wire, rd, end);
  if (p < 0) return 0;
  let n = 0;
  while (p + 4 <= end) {
    const key = u16(wire, p);
    const vend = p + 4 + u16(wire, p + 2);
    if (vend > end) return n;
    const size = key === SVC_IPV4HINT ? 4 : key === SVC_IPV6HINT ? 16 : 0;
    if (size !== 0) {
      const family: Family = size === 4 ? 4 : 6;
      for (let a = p + 4; a + size <= vend; a += size) if (visitor.address(wire, a, family)) n++;
    }
    p = vend;
  }
  return n;
}
