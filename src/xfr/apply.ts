import { RRType } from '../wire/constants.js';
import { canonicalName } from '../wire/name.js';
import { rdataEquals } from '../wire/rdata/index.js';
import type { RR } from '../wire/types.js';
import { buildZone } from '../zone/build.js';
import { checkRecords, checkZone } from '../zone/checks.js';
import type { ZoneIssue } from '../zone/errors.js';
import type { RRsetChange, Zone } from '../zone/zone.js';
import { serialOf, type ZoneDiff } from './diff.js';
import { XfrError } from './errors.js';

/**
 * Turning a received transfer into a zone version. A full transfer is built and checked like a
 * zone file (the same errors refuse it); an incremental one is applied difference by
 * difference on top of the version we serve, each becoming one `withChanges()`.
 */

/** Builds and checks the zone of an AXFR; throws XfrError (with every problem) when it is unservable. */
export function zoneFromRecords(origin: string, cls: number, records: readonly RR[]): { zone: Zone; warnings: ZoneIssue[] } {
  const pre = checkRecords(origin, records, [], cls);
  if (pre.errors.length > 0) throw zoneError(origin, pre.errors);
  const warnings: ZoneIssue[] = [];
  const zone = buildZone(origin, records, { class: cls, warnings });
  const checks = checkZone(zone);
  if (checks.errors.length > 0) throw zoneError(origin, checks.errors);
  return { zone, warnings: [...warnings, ...checks.warnings] };
}

function zoneError(origin: string, issues: readonly ZoneIssue[]): XfrError {
  return new XfrError(`transferred zone ${origin} is not servable: ${issues.map((i) => i.message).join('; ')}`, 'HZ_ERR_XFR_ZONE');
}

/**
 * Applies IXFR differences to `zone` (whose serial must be where the first one starts) and
 * returns every intermediate version's successor in order (the last is the new zone). Deleting
 * a record that is not there is ignored, as is adding one that is (RFC 1995 leaves both to the
 * client).
 */
export function applyDiffs(zone: Zone, diffs: readonly ZoneDiff[]): Zone[] {
  const out: Zone[] = [];
  let cur = zone;
  for (const d of diffs) {
    if (serialOf(d.from) !== cur.serial) throw new XfrError(`IXFR difference starts at serial ${serialOf(d.from)}, we have ${cur.serial}`);
    cur = cur.withChanges(changesOf(cur, d));
    out.push(cur);
  }
  return out;
}

interface Work {
  name: string;
  type: number;
  ttl: number;
  rdata: Uint8Array[];
}

function changesOf(zone: Zone, d: ZoneDiff): RRsetChange[] {
  const work = new Map<string, Work>();
  const get = (rr: RR): Work => {
    const k = `${canonicalName(rr.name)} ${rr.type}`;
    let w = work.get(k);
    if (w === undefined) {
      const set = zone.rrset(rr.name, rr.type);
      w = { name: rr.name, type: rr.type, ttl: set?.ttl ?? rr.ttl, rdata: set ? set.rrs.map((r) => r.rdata) : [] };
      work.set(k, w);
    }
    return w;
  };
  for (const rr of d.deleted) {
    const w = get(rr);
    const i = w.rdata.findIndex((x) => rdataEquals(rr.type, x, rr.rdata));
    if (i >= 0) w.rdata.splice(i, 1);
  }
  for (const rr of d.added) {
    const w = get(rr);
    w.ttl = rr.ttl;
    if (!w.rdata.some((x) => rdataEquals(rr.type, x, rr.rdata))) w.rdata.push(rr.rdata);
  }
  const changes: RRsetChange[] = [...work.values()];
  changes.push({ name: zone.origin, type: RRType.SOA, ttl: d.to.ttl, rdata: [d.to.rdata] });
  return changes;
}
