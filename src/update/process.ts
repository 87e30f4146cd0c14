import { RRType } from '../wire/constants.js';
import type { RRsetChange, Zone } from '../zone/zone.js';
import { applyUpdates } from './apply.js';
import { Draft } from './draft.js';
import type { UpdateMessage } from './message.js';
import type { Failure } from './outcome.js';
import type { UpdateGuard } from './policy.js';
import { checkPrerequisites } from './prereq.js';
import { prescan, type Requester } from './prescan.js';
import { nextSerial, withSerial } from './serial.js';

/** An UPDATE addressed to one zone, with who sent it. */
export interface UpdateRequest extends Requester {
  readonly msg: UpdateMessage;
}

export interface Processed {
  /** Why nothing was applied, or null. */
  readonly failure: Failure | null;
  /** What changed (after images, SOA included only when the update set it), empty if nothing. */
  readonly changes: readonly RRsetChange[];
  /** The zone after the update (the same object when nothing changed). */
  readonly zone: Zone;
}

/**
 * One update, all or nothing, in RFC 2136 order against `zone` (the latest version, including
 * updates not yet durable): prerequisites (§3.2), permission (§3.3: key and network), prescan
 * with the per-record rules (§3.4.1), apply (§3.4.2). When the zone changed and the update did
 * not set the SOA itself, the serial is incremented (§3.6, RFC 1982).
 */
export function processUpdate(zone: Zone, staticZone: Zone, guard: UpdateGuard, req: UpdateRequest): Processed {
  const zclass = req.msg.zone.class;
  const draft = new Draft(zone);
  const failure = checkPrerequisites(draft, req.msg.prereqs, zclass)
    ?? guard.admit(req.key, req.address, req.token ?? null)
    ?? prescan(req.msg.updates, zclass, staticZone, guard, req);
  if (failure) return { failure, changes: [], zone };
  const soaReplaced = applyUpdates(draft, req.msg.updates, zclass);
  const changes = draft.changes();
  if (changes.length === 0) return { failure: null, changes, zone };
  if (soaReplaced) return { failure: null, changes, zone: zone.withChanges(changes) };
  const soa = zone.soa;
  const bumped = { name: zone.origin, type: RRType.SOA, ttl: soa.ttl, rdata: [withSerial(soa.rrs[0]!.rdata, nextSerial(zone.serial))] };
  return { failure: null, changes, zone: zone.withChanges([...changes, bumped]) };
}
