import { relative, isAbsolute } from 'node:path';
import type { ZoneConfig } from '../config/types.js';
import type { Logger } from '../observability/log.js';
import { formatIssue } from './errors.js';
import { loadZoneFile } from './load.js';
import type { ZoneFileCache } from './file-cache.js';
import type { Zone } from './zone.js';
import { codeOf } from '../errors/index.js';

/** A path as operators like to read it in messages: relative to the working directory when below it. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

export interface ZoneLoadFailure {
  name: string;
  file: string;
  message: string;
}

export interface LoadedZones {
  zones: Zone[];
  failures: ZoneLoadFailure[];
  /** Zones whose files did not change since the last load (not read again), by name. */
  unchanged: string[];
}

/**
 * Loads the configured zones. A zone that fails to load is reported and skipped, and the others
 * keep serving; when `previous` holds a version of it (a reload), that version stays in service,
 * as BIND does.
 */
export function loadZones(configs: readonly ZoneConfig[], log: Logger, previous?: (name: string) => Zone | undefined, files?: ZoneFileCache): LoadedZones {
  const zones: Zone[] = [];
  const failures: ZoneLoadFailure[] = [];
  const unchanged: string[] = [];
  for (const zc of configs) {
    if (zc.type === 'secondary') continue; // transferred, not read from a file: see xfr/
    const file = displayPath(zc.file);
    const same = files?.unchanged(zc);
    if (same !== undefined) {
      zones.push(same); // its files did not change: not read, not parsed
      unchanged.push(zc.name);
      continue;
    }
    try {
      const { zone, warnings } = files ? files.load(zc, file) : loadZoneFile(file, zc.name, { allowInclude: zc.allowInclude });
      for (const w of warnings) log.warn({ zone: zc.name }, formatIssue(w));
      zones.push(zone);
    } catch (err) {
      const message = (err as Error).message;
      failures.push({ name: zc.name, file, message });
      const old = previous?.(zc.name);
      if (old) {
        zones.push(old);
        log.error({ zone: zc.name, serial: old.serial, code: codeOf(err) }, `zone not reloaded, the previous version keeps serving: ${message}`);
      } else {
        log.error({ zone: zc.name, code: codeOf(err) }, `zone not loaded, it is not served: ${message}`);
      }
    }
  }
  return { zones, failures, unchanged };
}
