import { FileRefused, readRegularFile } from '../util/regular-file.js';
import { RClass } from '../wire/constants.js';
import { canonicalName, fqdn } from '../wire/name.js';
import { buildZone } from './build.js';
import { checkRecords, checkZone } from './checks.js';
import { ZoneCheckError, ZoneParseError, type SourcePos, type ZoneIssue } from './errors.js';
import { parseZone } from './parser.js';
import type { Zone } from './zone.js';

/**
 * Zone file → checked Zone: parse (ZoneParseError at the first syntax error), check the records
 * and the built zone (ZoneCheckError listing every error), and return the zone with all the
 * warnings of the three stages, each positioned where the file says so.
 */

export interface LoadOptions {
  /** Zone class. Default IN. */
  class?: number;
  /** Enables `$INCLUDE` (paths relative to the including file). Default false. */
  allowInclude?: boolean;
  /** Include nesting limit. Default 16. */
  maxIncludeDepth?: number;
  /** Reads an $INCLUDE file by absolute path (zone/file-cache.ts records what it read). */
  readFile?: (path: string) => string;
}

export interface LoadResult {
  zone: Zone;
  warnings: ZoneIssue[];
}

/** Loads and checks a zone file; `path` appears in messages exactly as given. */
export function loadZoneFile(path: string, origin: string, opts: LoadOptions = {}): LoadResult {
  let text: string;
  try {
    text = readRegularFile(path).toString('utf8');
  } catch (e) {
    const why = e instanceof FileRefused ? e.message : (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new ZoneParseError(path, 1, 1, `cannot read the zone file: ${why}`);
  }
  return loadZoneText(text, origin, { ...opts, file: path });
}

/** Same as loadZoneFile for text already in memory; `file` names it in messages. */
export function loadZoneText(text: string, origin: string, opts: LoadOptions & { file?: string } = {}): LoadResult {
  const apex = fqdn(origin);
  const file = opts.file ?? '<input>';
  const cls = opts.class ?? RClass.IN;
  const parsed = parseZone(text, {
    origin: apex,
    file,
    class: cls,
    allowInclude: opts.allowInclude ?? false,
    ...(opts.maxIncludeDepth !== undefined ? { maxIncludeDepth: opts.maxIncludeDepth } : {}),
    ...(opts.readFile !== undefined ? { readFile: opts.readFile } : {}),
  });
  const warnings: ZoneIssue[] = [...parsed.warnings];
  const pre = checkRecords(apex, parsed.rrs, parsed.positions, cls);
  if (pre.errors.length > 0) throw new ZoneCheckError(apex, atFile(pre.errors, file), warnings);
  const zone = buildZone(apex, parsed.rrs, { class: cls, positions: parsed.positions, warnings });
  const where = new Map<string, SourcePos>();
  for (let i = 0; i < parsed.rrs.length; i++) {
    const rr = parsed.rrs[i]!;
    const k = `${canonicalName(rr.name)} ${rr.type}`;
    if (!where.has(k)) where.set(k, parsed.positions[i]!);
    const kr = `${k} ${Buffer.from(rr.rdata).toString('hex')}`;
    if (!where.has(kr)) where.set(kr, parsed.positions[i]!);
  }
  const checks = checkZone(zone, (key, type, rdata) => {
    const k = `${key} ${type}`;
    return (rdata && where.get(`${k} ${Buffer.from(rdata).toString('hex')}`)) ?? where.get(k);
  });
  warnings.push(...checks.warnings);
  if (checks.errors.length > 0) throw new ZoneCheckError(apex, atFile(checks.errors, file), warnings);
  return { zone, warnings };
}

/** Zone-wide errors (no SOA, no NS) point at the top of the file. */
function atFile(issues: ZoneIssue[], file: string): ZoneIssue[] {
  return issues.map((i) => (i.pos ? i : { ...i, pos: { file, line: 1, col: 1 } }));
}
