import { RCode } from '../wire/constants.js';

/**
 * Why an update was not applied. Every value is a stable label: it names the counter, and it is
 * the `reason` field of the one log line each refused or failed update gets.
 */
export const REASONS = [
  /** Not an UPDATE message we can read: bad zone section, malformed record, bad class/TTL. */
  'formerr',
  /** The zone section names a zone we do not serve. */
  'notauth',
  /** A prerequisite or update record names something outside the zone. */
  'notzone',
  /** The zone is served but accepts no updates (no `update` policy). */
  'disabled',
  /** Not signed, though the policy requires a key. */
  'unsigned',
  /** Signed with a key the zone's policy does not list. */
  'key',
  /** Sent from an address outside the policy's networks. */
  'network',
  /** No rule permits one of the changes (name or type). */
  'rule',
  /** A change touches a name defined in the zone file (protectStatic). */
  'static',
  /** Prerequisite failures, by the RCODE they produce (RFC 2136 §3.2). */
  'prereq-yxdomain', 'prereq-nxdomain', 'prereq-yxrrset', 'prereq-nxrrset',
  /** The same signed request seen twice within the TSIG time window. */
  'replay',
  /** The journal could not be written: nothing was applied. */
  'journal',
  /** An internal error while applying the update: nothing was applied. */
  'error',
  /** The server is shutting down. */
  'shutdown',
] as const;
export type Reason = (typeof REASONS)[number];

/** A refused or failed update: the RCODE to answer with, the counter, and what to log. */
export interface Failure {
  readonly rcode: number;
  readonly reason: Reason;
  /** Human-readable detail for the log line: which prerequisite, record or rule. */
  readonly detail: string;
}

export function fail(rcode: number, reason: Reason, detail: string): Failure {
  return { rcode, reason, detail };
}

const PREREQ_REASON: Readonly<Record<number, Reason>> = {
  [RCode.YXDomain]: 'prereq-yxdomain',
  [RCode.NXDomain]: 'prereq-nxdomain',
  [RCode.YXRRSet]: 'prereq-yxrrset',
  [RCode.NXRRSet]: 'prereq-nxrrset',
};

/** The reason label of a prerequisite failure RCODE. */
export function prereqReason(rcode: number): Reason {
  return PREREQ_REASON[rcode] ?? 'formerr';
}
