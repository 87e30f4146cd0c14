import { RRType } from '../wire/constants.js';
import type { RR } from '../wire/types.js';
import type { Zone } from '../zone/zone.js';
import type { ZoneDiff } from './diff.js';

/**
 * The record sequences of transfer answers.
 *
 * - AXFR (RFC 5936 §2.2): the SOA, every other record of the zone (glue and data below zone cuts
 *   included), the SOA again.
 * - IXFR (RFC 1995 §4): the current SOA; for each difference the old SOA, the deleted records,
 *   the new SOA, the added records; the current SOA again.
 */

export function* axfrRecords(zone: Zone): Generator<RR> {
  const soa = zone.soa.rrs[0]!;
  yield soa;
  for (const node of zone.nodes()) {
    for (const [type, set] of node.rrsets) {
      if (type === RRType.SOA && node.key === zone.key) continue;
      yield* set.rrs;
    }
  }
  yield soa;
}

export function* ixfrRecords(zone: Zone, diffs: readonly ZoneDiff[]): Generator<RR> {
  const soa = zone.soa.rrs[0]!;
  yield soa;
  for (const d of diffs) {
    yield d.from;
    yield* d.deleted;
    yield d.to;
    yield* d.added;
  }
  yield soa;
}
