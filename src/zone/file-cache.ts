import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ZoneConfig } from '../config/types.js';
import { FileRefused, readRegularFile } from '../util/regular-file.js';
import { ZoneParseError } from './errors.js';
import { loadZoneText, type LoadResult } from './load.js';
import type { Zone } from './zone.js';

/** What a zone was read from: each file (the master file, then its $INCLUDEs) as it was. */
interface FileStamp {
  readonly path: string;
  size: number;
  mtimeMs: number;
  ino: number;
  readonly hash: string;
}

interface Entry {
  readonly zone: Zone;
  readonly allowInclude: boolean;
  readonly stamps: FileStamp[];
}

/**
 * The zones of the running configuration with the files they were read from, so that a reload
 * reads again only what changed: a file whose size, mtime and inode are as before is not opened;
 * one that was touched but holds the same bytes (content hash) is not parsed. A zone counts as
 * changed when any of its files (includes too) changed, vanished, or its `allowInclude` did.
 * Lives from one Runtime to the next.
 */
export class ZoneFileCache {
  readonly #entries = new Map<string, Entry>();

  /** The zone loaded earlier from the same unchanged files, or undefined. */
  unchanged(zc: ZoneConfig): Zone | undefined {
    const e = this.#entries.get(key(zc));
    if (e === undefined || e.allowInclude !== zc.allowInclude) return undefined;
    for (const s of e.stamps) {
      let st;
      try {
        st = statSync(s.path);
      } catch {
        return undefined;
      }
      if (st.size === s.size && st.mtimeMs === s.mtimeMs && st.ino === s.ino) continue;
      if (st.size !== s.size) return undefined;
      let buf: Buffer;
      try {
        buf = readRegularFile(s.path);
      } catch {
        return undefined;
      }
      if (digest(buf) !== s.hash) return undefined;
      s.mtimeMs = st.mtimeMs; // the same bytes, touched: remember the new times
      s.ino = st.ino;
    }
    return e.zone;
  }

  /** Loads a zone file (as zone/load.ts loadZoneFile) and remembers what it was read from. */
  load(zc: ZoneConfig, shown: string): LoadResult {
    const stamps: FileStamp[] = [];
    const read = (path: string): string => {
      const st = statSync(path);
      const buf = readRegularFile(path);
      stamps.push({ path: resolve(path), size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, hash: digest(buf) });
      return buf.toString('utf8');
    };
    let text: string;
    try {
      text = read(shown);
    } catch (e) {
      const why = e instanceof FileRefused ? e.message : (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      throw new ZoneParseError(shown, 1, 1, `cannot read the zone file: ${why}`);
    }
    const result = loadZoneText(text, zc.name, { allowInclude: zc.allowInclude, file: shown, readFile: read });
    this.#entries.set(key(zc), { zone: result.zone, allowInclude: zc.allowInclude, stamps });
    return result;
  }

  /** Forgets every zone not among `configs` (after a reload built the new set). */
  retain(configs: Iterable<ZoneConfig>): void {
    const keep = new Set<string>();
    for (const zc of configs) keep.add(key(zc));
    for (const k of this.#entries.keys()) if (!keep.has(k)) this.#entries.delete(k);
  }
}

function key(zc: ZoneConfig): string {
  return `${zc.name}\0${zc.file}`;
}

function digest(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('base64');
}
