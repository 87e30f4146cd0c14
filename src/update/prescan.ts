import { RClass, RCode, RRType, classToString, typeToString } from '../wire/constants.js';
import { canonicalName, isSubdomain } from '../wire/name.js';
import { MAX_TTL } from '../zone/ttl.js';
import type { Zone } from '../zone/zone.js';
import type { UpdateRR } from './message.js';
import { fail, type Failure } from './outcome.js';
import type { UpdateGuard } from './policy.js';
import { isMetaType } from './prereq.js';

/** Who sent the update, as far as the policy is concerned. */
export interface Requester {
  /** Canonical TSIG key name, or null when unsigned. */
  readonly key: string | null;
  /** The console token of a change made over the HTTP API (never together with a key). */
  readonly token?: string | null;
  readonly address: string;
}

/**
 * The update section prescan (RFC 2136 §3.4.1), done for every record before anything changes,
 * with the per-record permission check in the same pass (as BIND does, so a record outside the
 * zone is NOTZONE rather than "no rule"):
 * - owner outside the zone: NOTZONE;
 * - class of the zone (add): a data type, TTL at most 2^31-1;
 * - class ANY (delete RRset, or all RRsets with type ANY): TTL 0, empty RDATA, not a transfer type;
 * - class NONE (delete one RR): TTL 0, a data type;
 * - any other class: FORMERR;
 * - then a rule must permit the change, and with protectStatic the owner must not be a name the
 *   zone file defines (REFUSED) — except for the deletes RFC 2136 §3.4.2.3/§3.4.2.4 tell the
 *   server to ignore (the apex SOA or NS RRset, any SOA record): those change nothing, so they
 *   pass here and apply.ts skips them, and the update gets NOERROR as from BIND.
 */
export function prescan(
  updates: readonly UpdateRR[], zclass: number, staticZone: Zone, guard: UpdateGuard, who: Requester,
): Failure | null {
  const origin = staticZone.origin;
  for (let i = 0; i < updates.length; i++) {
    const rr = updates[i]!;
    const what = `update record ${i + 1} (${rr.name} ${classToString(rr.class)} ${typeToString(rr.type)})`;
    if (!isSubdomain(rr.name, origin)) return fail(RCode.NotZone, 'notzone', `${what}: outside zone ${origin}`);
    const bad = format(rr, zclass);
    if (bad) return fail(RCode.FormErr, 'formerr', `${what}: ${bad}`);
    const denied = guard.permit(who.key, who.address, rr, zclass, who.token ?? null);
    if (denied) return denied;
    if (guard.protectStatic && !ignoredDelete(rr, staticZone) && (staticZone.node(rr.name)?.rrsets.size ?? 0) > 0) {
      return fail(RCode.Refused, 'static', `${what}: ${rr.name} is defined in the zone file and protected (protectStatic)`);
    }
  }
  return null;
}

/** A delete the RFC says to skip silently (see apply.ts): deleting the apex SOA/NS RRset, or an SOA record. */
function ignoredDelete(rr: UpdateRR, zone: Zone): boolean {
  if (rr.class === RClass.NONE) return rr.type === RRType.SOA;
  if (rr.class !== RClass.ANY || (rr.type !== RRType.SOA && rr.type !== RRType.NS)) return false;
  return canonicalName(rr.name) === zone.key;
}

/** What is wrong with the record's form, or null. */
function format(rr: UpdateRR, zclass: number): string | null {
  if (rr.class === zclass) {
    if (isMetaType(rr.type)) return `${typeToString(rr.type)} cannot be added`;
    if (rr.ttl > MAX_TTL) return `TTL ${rr.ttl} is larger than 2^31-1`;
    return null;
  }
  if (rr.class === RClass.ANY) {
    if (rr.ttl !== 0) return 'TTL must be 0 in a delete';
    if (rr.rdata.length !== 0) return 'RDATA must be empty in a delete of an RRset';
    if (rr.type !== RRType.ANY && isMetaType(rr.type)) return `${typeToString(rr.type)} is not a data type`;
    return null;
  }
  if (rr.class === RClass.NONE) {
    if (rr.ttl !== 0) return 'TTL must be 0 in a delete';
    if (isMetaType(rr.type)) return `${typeToString(rr.type)} is not a data type`;
    return null;
  }
  return `class must be ${classToString(zclass)}, ANY or NONE`;
}
