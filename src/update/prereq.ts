import { RClass, RCode, RRType, typeToString } from '../wire/constants.js';
import { canonicalName, isSubdomain } from '../wire/name.js';
import { containsRdata } from '../zone/rrset.js';
import { sameRdata, type Draft } from './draft.js';
import type { UpdateRR } from './message.js';
import { fail, prereqReason, type Failure } from './outcome.js';

/**
 * The prerequisite section (RFC 2136 §2.4, §3.2), checked in order against the zone before
 * anything changes:
 *
 * | CLASS | TYPE | RDATA | meaning                  | else     |
 * |-------|------|-------|--------------------------|----------|
 * | ANY   | ANY  | empty | name is in use           | NXDOMAIN |
 * | ANY   | T    | empty | an RRset of T exists     | NXRRSET  |
 * | NONE  | ANY  | empty | name is not in use       | YXDOMAIN |
 * | NONE  | T    | empty | no RRset of T exists     | YXRRSET  |
 * | zone  | T    | data  | the RRset equals exactly | NXRRSET  |
 *
 * TTL must be 0 and RDATA empty where the table says so (else FORMERR); names outside the zone
 * are NOTZONE. Value-dependent records are gathered per owner and type and compared as sets
 * after the other prerequisites, ignoring TTLs (§3.2.5).
 */
export function checkPrerequisites(draft: Draft, prereqs: readonly UpdateRR[], zclass: number): Failure | null {
  const origin = draft.zone.origin;
  const wanted = new Map<string, { name: string; type: number; rdata: Uint8Array[] }>();
  for (let i = 0; i < prereqs.length; i++) {
    const rr = prereqs[i]!;
    const what = `prerequisite ${i + 1} (${describe(rr, zclass)})`;
    if (rr.ttl !== 0) return fail(RCode.FormErr, 'formerr', `${what}: TTL must be 0`);
    if (!isSubdomain(rr.name, origin)) return fail(RCode.NotZone, 'notzone', `${what}: ${rr.name} is outside zone ${origin}`);
    if (rr.class === RClass.ANY || rr.class === RClass.NONE) {
      if (rr.rdata.length !== 0) return fail(RCode.FormErr, 'formerr', `${what}: RDATA must be empty`);
      const rcode = check(draft, rr);
      if (rcode !== RCode.NoError) return fail(rcode, prereqReason(rcode), `${what} failed`);
    } else if (rr.class === zclass) {
      if (isMetaType(rr.type)) return fail(RCode.FormErr, 'formerr', `${what}: ${typeToString(rr.type)} is not a data type`);
      const k = `${canonicalName(rr.name)} ${rr.type}`;
      let w = wanted.get(k);
      if (!w) wanted.set(k, (w = { name: rr.name, type: rr.type, rdata: [] }));
      if (!containsRdata(rr.type, w.rdata, rr.rdata)) w.rdata.push(rr.rdata);
    } else {
      return fail(RCode.FormErr, 'formerr', `${what}: class must be ANY, NONE or the zone's`);
    }
  }
  for (const w of wanted.values()) {
    const have = draft.get(w.name, w.type);
    if (!have || !sameRdata(w.type, have.rdata, w.rdata)) {
      const detail = `prerequisite "${w.name} ${typeToString(w.type)} RRset equals the ${w.rdata.length} given record(s)" failed`
        + (have ? ` (the zone holds ${have.rdata.length})` : ' (the zone holds none)');
      return fail(RCode.NXRRSet, 'prereq-nxrrset', detail);
    }
  }
  return null;
}

function check(draft: Draft, rr: UpdateRR): number {
  const any = rr.type === RRType.ANY;
  if (rr.class === RClass.ANY) {
    if (any) return draft.inUse(rr.name) ? RCode.NoError : RCode.NXDomain;
    return draft.get(rr.name, rr.type) ? RCode.NoError : RCode.NXRRSet;
  }
  if (any) return draft.inUse(rr.name) ? RCode.YXDomain : RCode.NoError;
  return draft.get(rr.name, rr.type) ? RCode.YXRRSet : RCode.NoError;
}

/** Human wording of one prerequisite record, for the log line. */
function describe(rr: UpdateRR, zclass: number): string {
  const t = typeToString(rr.type);
  if (rr.class === RClass.ANY) return rr.type === RRType.ANY ? `${rr.name} is in use` : `${rr.name} ${t} exists`;
  if (rr.class === RClass.NONE) return rr.type === RRType.ANY ? `${rr.name} is not in use` : `${rr.name} has no ${t}`;
  if (rr.class === zclass) return `${rr.name} ${t} has this value`;
  return `${rr.name} ${t}`;
}

/** Query-only and meta types (RFC 6895 §3.1: 128..255 are Q/Meta, plus OPT), never data. */
export function isMetaType(type: number): boolean {
  return type === RRType.OPT || (type >= 128 && type <= 255);
}
