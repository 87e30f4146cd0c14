import { RRType } from '../wire/constants.js';
import { canonicalName, splitLabels } from '../wire/name.js';
import type { RR } from '../wire/types.js';
import type { Zone } from './zone.js';

/**
 * The zone as served, in RFC 1035 master-file form: $ORIGIN line, SOA first, then owners in
 * canonical order (RFC 4034 §6.1: by labels from the root), RRsets by type.
 */
export function dumpZone(zone: Zone, rrToText: (rr: RR) => string): string {
  const rrs = zone.records();
  rrs.sort((a, b) => {
    if (a.type === RRType.SOA && canonicalName(a.name) === zone.key) return -1;
    if (b.type === RRType.SOA && canonicalName(b.name) === zone.key) return 1;
    return compareNames(a.name, b.name) || a.type - b.type;
  });
  let out = `$ORIGIN ${zone.origin}\n`;
  for (const rr of rrs) out += rrToText(rr) + '\n';
  return out;
}

/** Canonical DNS name order (RFC 4034 §6.1), case-insensitive. */
export function compareNames(a: string, b: string): number {
  const la = splitLabels(canonicalName(a)).reverse();
  const lb = splitLabels(canonicalName(b)).reverse();
  for (let i = 0; i < Math.min(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return la[i]! < lb[i]! ? -1 : 1;
  }
  return la.length - lb.length;
}
