import { RClass, RRType, classToString, typeToString } from '../wire/constants.js';
import { canonicalName, isSubdomain, nameEquals, readName } from '../wire/name.js';
import { rdataEquals } from '../wire/rdata/index.js';
import type { RR } from '../wire/types.js';
import type { SourcePos, ZoneIssue } from './errors.js';
import type { ZoneNode } from './rrset.js';
import { parentKey, type Zone } from './zone.js';

/**
 * Load-time checks. Errors make a zone unservable; warnings are reported and the zone loads.
 *
 * Errors: records outside the zone or of another class; not exactly one SOA, or an SOA below
 * the apex; no NS at the apex; CNAME beside other data (RFC 2181 §10.1, RRSIG and NSEC
 * excepted, RFC 4035 §2.5) or more than one CNAME; more than one DNAME (RFC 6672 §2.4).
 * Warnings: an in-zone NS target without address records (missing glue), and data below a
 * zone cut other than glue addresses, which is never served.
 */

export interface CheckResult {
  errors: ZoneIssue[];
  warnings: ZoneIssue[];
}

/** Where a record (with `rdata`) or else an RRset was defined, from canonical owner and type. */
export type PositionOf = (key: string, type: number, rdata?: Uint8Array) => SourcePos | undefined;

/** Checks a flat record list (before building): zone membership, class, one SOA at the apex. */
export function checkRecords(
  origin: string,
  rrs: readonly RR[],
  positions: readonly (SourcePos | undefined)[] = [],
  cls: number = RClass.IN,
): CheckResult {
  const errors: ZoneIssue[] = [];
  let soa: RR | null = null;
  let soaAt = '';
  for (let i = 0; i < rrs.length; i++) {
    const rr = rrs[i]!;
    const pos = positions[i];
    const at = pos ? { pos } : {};
    if (!isSubdomain(rr.name, origin)) errors.push({ message: `${rr.name} is outside the zone ${origin}`, ...at });
    else if (rr.class !== cls) {
      errors.push({ message: `${rr.name} has class ${classToString(rr.class)}, the zone is ${classToString(cls)}`, ...at });
    } else if (rr.type === RRType.SOA && nameEquals(rr.name, origin)) {
      if (soa === null) {
        soa = rr;
        soaAt = pos ? ` (the first is at ${pos.file}:${pos.line}:${pos.col})` : '';
      } else if (!rdataEquals(RRType.SOA, soa.rdata, rr.rdata)) {
        errors.push({ message: `a second SOA record for ${origin}; exactly one is allowed${soaAt}`, ...at });
      }
    }
  }
  if (soa === null) errors.push({ message: `no SOA record at the apex ${origin}` });
  return { errors, warnings: [] };
}

/** Checks a built zone's structure. */
export function checkZone(zone: Zone, positionOf: PositionOf = () => undefined): CheckResult {
  const errors: ZoneIssue[] = [];
  const warnings: ZoneIssue[] = [];
  const issue = (list: ZoneIssue[], node: ZoneNode, type: number, message: string, other?: number): void => {
    list.push(withPos(message, later(positionOf(node.key, type), other === undefined ? undefined : positionOf(node.key, other))));
  };
  const apex = zone.nodeAt(zone.key)!;
  if (zone.soa.rrs.length !== 1) {
    issue(errors, apex, RRType.SOA, `${zone.soa.rrs.length} SOA records at the apex ${zone.origin}; exactly one is allowed`);
  }
  if (!zone.ns || zone.ns.rrs.length === 0) issue(errors, apex, RRType.SOA, `no NS records at the apex ${zone.origin}`);
  for (const node of zone.nodes()) {
    const sets = node.rrsets;
    if (node.key !== zone.key && sets.has(RRType.SOA)) {
      issue(errors, node, RRType.SOA, `SOA record at ${node.name}, which is not the apex ${zone.origin}`);
    }
    const cname = sets.get(RRType.CNAME);
    if (cname) {
      if (cname.rrs.length > 1) issue(errors, node, RRType.CNAME, `${node.name} has ${cname.rrs.length} CNAME records; only one is allowed`);
      for (const t of sets.keys()) {
        if (t === RRType.CNAME || t === RRType.RRSIG || t === RRType.NSEC) continue;
        issue(errors, node, RRType.CNAME, `${node.name} has a CNAME and other data (${typeToString(t)}) (RFC 2181 §10.1)`, t);
        break;
      }
    }
    const dname = sets.get(RRType.DNAME);
    if (dname && dname.rrs.length > 1) issue(errors, node, RRType.DNAME, `${node.name} has ${dname.rrs.length} DNAME records; only one is allowed`);
    const ns = sets.get(RRType.NS);
    if (ns) checkGlue(zone, node, ns.rrs, (rr, m) => warnings.push(withPos(m, positionOf(node.key, RRType.NS, rr.rdata))));
    if (node.key !== zone.key && sets.size > 0) checkOccluded(zone, node, (t, m) => issue(warnings, node, t, m));
  }
  return { errors, warnings };
}

function withPos(message: string, pos: SourcePos | undefined): ZoneIssue {
  return pos ? { message, pos } : { message };
}

/** The position further down the same file (the second of two conflicting records). */
function later(a: SourcePos | undefined, b: SourcePos | undefined): SourcePos | undefined {
  if (!a || !b || a.file !== b.file) return a ?? b;
  return b.line > a.line || (b.line === a.line && b.col > a.col) ? b : a;
}

/** In-zone NS targets need A or AAAA records (glue when at or below a cut). */
function checkGlue(zone: Zone, node: ZoneNode, rrs: readonly RR[], warn: (rr: RR, m: string) => void): void {
  for (const rr of rrs) {
    const target = readName(rr.rdata, 0).name;
    if (!isSubdomain(target, zone.origin)) continue;
    const t = zone.nodeAt(canonicalName(target));
    if (t?.rrsets.has(RRType.A) || t?.rrsets.has(RRType.AAAA)) continue;
    const what = node.key === zone.key ? 'address records' : 'glue';
    warn(rr, `NS ${target} of ${node.name} is inside the zone but has no ${what} (A/AAAA)`);
  }
}

/** Data strictly below a delegation is not authoritative; only A/AAAA glue there is expected. */
function checkOccluded(zone: Zone, node: ZoneNode, warn: (type: number, m: string) => void): void {
  for (let k = parentKey(node.key); k !== zone.key && k !== '.'; k = parentKey(k)) {
    const above = zone.nodeAt(k);
    if (!above?.rrsets.has(RRType.NS)) continue;
    for (const t of node.rrsets.keys()) {
      if (t === RRType.A || t === RRType.AAAA) continue;
      warn(t, `${node.name} ${typeToString(t)} is below the delegation ${above.name} and will not be served`);
    }
    return;
  }
}
