import { RClass, RRType } from '../wire/constants.js';
import { canonicalName } from '../wire/name.js';
import { rdataEquals } from '../wire/rdata/index.js';
import { containsRdata, soaNumbers } from '../zone/rrset.js';
import type { Draft } from './draft.js';
import type { UpdateRR } from './message.js';
import { serialGt } from './serial.js';

/**
 * The update section applied to a draft, record by record in order (RFC 2136 §3.4.2). Records
 * the RFC says to ignore are skipped silently; nothing here fails (prescan has checked the
 * form, the processor checks permissions first).
 *
 * - Add (class of the zone): the record joins its RRset, duplicates merged (RFC 2181 §5); the
 *   whole RRset takes the new record's TTL, so an RRset always has one TTL (RFC 2181 §5.2).
 *   SOA: only at the apex and only with a greater serial (RFC 1982), replacing the old one.
 *   CNAME: ignored where other data exists; a CNAME replaces an existing CNAME. Other data is
 *   ignored where a CNAME exists (§3.4.2.2; RRSIG and NSEC may sit beside a CNAME, RFC 4035).
 * - Delete RRset (ANY, type): the apex SOA and NS RRsets are never deleted this way.
 * - Delete all RRsets at a name (ANY, ANY): at the apex, SOA and NS stay.
 * - Delete one RR (NONE): never the SOA, never the apex's last NS.
 *
 * Returns true when the update replaced the SOA itself (then the serial is not bumped again).
 */
export function applyUpdates(draft: Draft, updates: readonly UpdateRR[], zclass: number): boolean {
  const apex = draft.zone.key;
  let soaReplaced = false;
  for (const rr of updates) {
    const atApex = canonicalName(rr.name) === apex;
    if (rr.class === zclass) {
      if (add(draft, rr, atApex)) soaReplaced ||= rr.type === RRType.SOA;
    } else if (rr.class === RClass.ANY) {
      if (rr.type === RRType.ANY) {
        for (const t of draft.types(rr.name)) if (!(atApex && apexProtected(t))) draft.put(rr.name, t, 0, []);
      } else if (!(atApex && apexProtected(rr.type))) {
        draft.put(rr.name, rr.type, 0, []);
      }
    } else if (rr.class === RClass.NONE) {
      deleteOne(draft, rr, atApex);
    }
  }
  return soaReplaced;
}

function apexProtected(type: number): boolean {
  return type === RRType.SOA || type === RRType.NS;
}

/** May sit beside a CNAME (RFC 2181 §10.1 as amended by RFC 4035 §2.5). */
function besideCname(type: number): boolean {
  return type === RRType.CNAME || type === RRType.RRSIG || type === RRType.NSEC;
}

/** Adds one record; false when the RFC says to ignore it. */
function add(draft: Draft, rr: UpdateRR, atApex: boolean): boolean {
  if (rr.type === RRType.SOA) {
    const cur = draft.get(rr.name, RRType.SOA);
    if (!atApex || !cur || !serialGt(soaNumbers(rr.rdata).serial, soaNumbers(cur.rdata[0]!).serial)) return false;
    draft.put(rr.name, RRType.SOA, rr.ttl, [rr.rdata]);
    return true;
  }
  const types = draft.types(rr.name);
  if (rr.type === RRType.CNAME) {
    if (types.some((t) => !besideCname(t))) return false;
    draft.put(rr.name, RRType.CNAME, rr.ttl, [rr.rdata]);
    return true;
  }
  if (!besideCname(rr.type) && types.includes(RRType.CNAME)) return false;
  const cur = draft.get(rr.name, rr.type);
  const rdata = cur ? [...cur.rdata] : [];
  if (!containsRdata(rr.type, rdata, rr.rdata)) rdata.push(rr.rdata);
  draft.put(rr.name, rr.type, rr.ttl, rdata);
  return true;
}

function deleteOne(draft: Draft, rr: UpdateRR, atApex: boolean): void {
  if (rr.type === RRType.SOA) return;
  const cur = draft.get(rr.name, rr.type);
  if (!cur) return;
  const rest = cur.rdata.filter((r) => !(r.length === rr.rdata.length && rdataEquals(rr.type, r, rr.rdata)));
  if (rest.length === cur.rdata.length) return;
  if (atApex && rr.type === RRType.NS && rest.length === 0) return;
  draft.put(rr.name, rr.type, cur.ttl, rest);
}
