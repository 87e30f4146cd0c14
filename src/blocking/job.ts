import { BlockingError, BlockingErrorCode } from './errors.js';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { ParseStats } from './parse.js';
import { ALL_GROUPS, compileNames, compileSource, mergeParts, type BlockSetData, type SetPart } from './set.js';

/**
 * One rebuild of the blocking set, as plain data so it can run on a worker thread: compile the
 * sources whose text changed, keep the previous keys of every other source (and of a changed
 * source whose new text is unreadable, too large or has no valid entry), and merge everything
 * into one set. Key arrays live in SharedArrayBuffers: handing them between threads copies
 * nothing.
 */

export interface SourceJob {
  /** The manager's key of the source. */
  readonly id: string;
  /** Flag bits of its block entries (its groups); its `@@` entries get the same bits << 16. */
  readonly bits: number;
  /** Every entry is an allow entry for every group (an allowlist source). */
  readonly allowOnly: boolean;
  /** File to (re)compile, or null to reuse `previous`. */
  readonly path: string | null;
  /** The keys of the last good text, or null. */
  readonly previous: { readonly block: Float64Array; readonly allow: Float64Array } | null;
}

export interface RebuildJob {
  readonly sources: readonly SourceJob[];
  /** Names never blocked (the site's zones). */
  readonly exempt: readonly string[];
  readonly maxSize: number;
}

export interface SourceResult {
  readonly id: string;
  /** The file was compiled (path was set). */
  readonly compiled: boolean;
  /** Set when compiling failed; the previous keys were used. */
  readonly error: { readonly reason: 'missing' | 'too_large' | 'empty' | 'unreadable'; readonly message: string } | null;
  readonly stats: ParseStats | null;
  /** The keys now in use for this source (null: none). */
  readonly block: Float64Array | null;
  readonly allow: Float64Array | null;
  readonly ms: number;
}

export interface RebuildResult {
  readonly sources: readonly SourceResult[];
  readonly set: BlockSetData;
  readonly ms: number;
}

function readLimited(path: string, maxSize: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > maxSize) throw Object.assign(new BlockingError(BlockingErrorCode.Source, `${size} bytes, over the ${maxSize}-byte limit`), { reason: 'too_large' as const });
    const buf = Buffer.allocUnsafe(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

function compileOne(s: SourceJob, maxSize: number): SourceResult {
  const t0 = performance.now();
  const keep = (error: SourceResult['error'], stats: ParseStats | null): SourceResult => ({
    id: s.id, compiled: true, error, stats, block: s.previous?.block ?? null, allow: s.previous?.allow ?? null, ms: performance.now() - t0,
  });
  let text: Buffer;
  try {
    text = readLimited(s.path!, maxSize);
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { reason?: 'too_large' };
    if (e.reason === 'too_large') return keep({ reason: 'too_large', message: e.message }, null);
    if (e.code === 'ENOENT') return keep({ reason: 'missing', message: 'file not found' }, null);
    return keep({ reason: 'unreadable', message: e.message }, null);
  }
  const c = compileSource(text, s.allowOnly);
  if (c.block.length + c.allow.length === 0) {
    return keep({ reason: 'empty', message: `no valid entry in ${c.stats.lines} lines (${c.stats.invalid} invalid, ${c.stats.unsupported} unsupported)` }, c.stats);
  }
  return { id: s.id, compiled: true, error: null, stats: c.stats, block: c.block, allow: c.allow, ms: performance.now() - t0 };
}

/** Runs a rebuild (on the worker thread, or inline under the test runner). */
export function runRebuild(job: RebuildJob): RebuildResult {
  const t0 = performance.now();
  const results: SourceResult[] = job.sources.map((s) => (s.path === null
    ? { id: s.id, compiled: false, error: null, stats: null, block: s.previous?.block ?? null, allow: s.previous?.allow ?? null, ms: 0 }
    : compileOne(s, job.maxSize)));
  const parts: SetPart[] = [];
  job.sources.forEach((s, i) => {
    const r = results[i]!;
    if (s.allowOnly) {
      if (r.allow) parts.push({ keys: r.allow, bits: (ALL_GROUPS << 16) >>> 0 });
      return;
    }
    if (r.block) parts.push({ keys: r.block, bits: s.bits });
    if (r.allow) parts.push({ keys: r.allow, bits: (s.bits << 16) >>> 0 });
  });
  if (job.exempt.length > 0) parts.push({ keys: compileNames(job.exempt), bits: (ALL_GROUPS << 16) >>> 0 });
  return { sources: results, set: mergeParts(parts), ms: performance.now() - t0 };
}
