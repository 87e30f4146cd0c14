import { closeSync, fsyncSync, openSync, statSync, utimesSync, writeSync, renameSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { rrToText } from '../wire/presentation.js';
import { dumpZone } from '../zone/dump.js';
import { loadZoneFile } from '../zone/load.js';
import type { Zone } from '../zone/zone.js';

/**
 * A secondary zone's copy on disk: the zone as transferred, in master-file form, so a restart
 * serves it at once. The file's modification time records the last time a primary confirmed
 * the data (a transfer or an up-to-date SOA check), which is where the expire timer restarts
 * from, as BIND does with its secondary files.
 */

/**
 * Writes the copy atomically: `<file>.tmp`, fsync, rename over `file`, fsync the directory. A
 * crash leaves the old copy or the new one, never half of one. `confirmedAt` (ms) becomes the
 * file's modification time.
 */
export function saveCopy(file: string, zone: Zone, confirmedAt: number): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, `; secondary copy of ${zone.origin}, serial ${zone.serial}; written by horizond, do not edit\n`);
    writeSync(fd, dumpZone(zone, rrToText));
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw err;
  }
  closeSync(fd);
  utimesSync(tmp, confirmedAt / 1000, confirmedAt / 1000);
  renameSync(tmp, file);
  const dfd = openSync(dir, 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

/** Records a confirmation without rewriting the data. False when there is no copy. */
export function touchCopy(file: string, confirmedAt: number): boolean {
  try {
    utimesSync(file, confirmedAt / 1000, confirmedAt / 1000);
    return true;
  } catch {
    return false;
  }
}

/** The saved copy and when it was last confirmed; null when there is none. Throws when it is unreadable or broken. */
export function loadCopy(file: string, origin: string): { zone: Zone; confirmedAt: number } | null {
  let mtime: number;
  try {
    mtime = statSync(file).mtimeMs;
  } catch {
    return null;
  }
  const { zone } = loadZoneFile(file, origin);
  return { zone, confirmedAt: mtime };
}
