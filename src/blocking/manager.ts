import { HzError } from '../errors/index.js';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BlockingConfig, BlockingSource } from '../config/types.js';
import type { Logger } from '../observability/log.js';
import { download, type DownloadResult, type Validators } from './download.js';
import { BlockingErrorCode } from './errors.js';
import { runRebuild, type RebuildJob, type RebuildResult, type SourceJob, type SourceResult } from './job.js';
import type { ParseStats } from './parse.js';
import { BlockSet, MAX_GROUPS } from './set.js';

/**
 * Owns the blocklists for the life of the server (reloads keep them): the sources, their last
 * good keys, the saved copies of URL sources in `<dataDir>/blocking/`, the refresh timers, the
 * compiled set the pipeline reads, pause state and counters.
 *
 * A rebuild compiles the changed sources and merges all of them on a worker thread; the new
 * BlockSet replaces the old one in one assignment (queries in flight finish on the old one).
 * A source whose new text fails (missing, too large, no valid entry, download error) keeps its
 * last good keys. Only one rebuild runs at a time; requests during one are folded into the next.
 */

/** Outcome of the last refresh of a source (metrics label `result`). */
export type RefreshResult = 'ok' | 'not_modified' | 'unreachable' | 'timeout' | 'http_error' | 'too_large' | 'redirects' | 'empty' | 'missing' | 'unreadable' | 'pending';
export const REFRESH_RESULTS: readonly RefreshResult[] = ['ok', 'not_modified', 'unreachable', 'timeout', 'http_error', 'too_large', 'redirects', 'empty', 'missing', 'unreadable'];

/** One source (path or URL, block or allow role), as status and metrics see it. */
export interface SourceStatus {
  /** As written in the config. */
  readonly source: string;
  readonly kind: 'file' | 'url';
  /** Groups it feeds (empty for allowlist sources). */
  readonly groups: readonly string[];
  readonly allowlist: boolean;
  /** Entries in use now (last good text): blocking and allow entries. */
  readonly entries: number;
  readonly allowEntries: number;
  readonly invalid: number;
  readonly unsupported: number;
  /** Keys in use exist (a URL source without a saved copy has none until its first download). */
  readonly loaded: boolean;
  readonly lastRefresh: { readonly at: number; readonly result: RefreshResult; readonly seconds: number; readonly message: string | null } | null;
}

interface SourceState {
  readonly id: string;
  spec: BlockingSource;
  allowOnly: boolean;
  bits: number;
  groups: string[];
  keys: { block: Float64Array; allow: Float64Array } | null;
  stats: ParseStats | null;
  /** File identity last compiled (files), or the saved copy's (URLs). */
  identity: string;
  /** A new text waiting to be compiled (a downloaded temp file, or the file itself). */
  pendingPath: string | null;
  validators: Validators | null;
  lastRefresh: SourceStatus['lastRefresh'];
  /** The result last logged (log once per change). */
  logged: RefreshResult | null;
  timer: NodeJS.Timeout | null;
  downloading: Promise<void> | null;
  /** Counts of refresh results (metrics). */
  readonly results: Map<RefreshResult, number>;
  /** The first download is still running and there is no saved copy (readiness). */
  firstPending: boolean;
}

export interface BlockingManagerOptions {
  dataDir: string;
  log: Logger;
  /** Run rebuilds inline instead of on a worker thread (tests running from TypeScript sources). */
  inline?: boolean;
  /** Download nothing (query workers, `blocking test`): URL sources use their saved copies only. */
  offline?: boolean;
  now?: () => number;
}

/** Retry a failed download after this long (or the refresh interval, when shorter). */
const RETRY_MS = 15 * 60_000;

function fileIdentity(path: string): string {
  try {
    const s = statSync(path);
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
  } catch {
    return '';
  }
}

/** The worker script next to this module, or null when running from TypeScript sources. */
function workerUrl(): URL | null {
  const here = import.meta.url;
  return here.endsWith('.js') ? new URL('./worker.js', here) : null;
}

export class BlockingManager {
  /** The set the pipeline reads; replaced whole by each rebuild. */
  set: BlockSet = BlockSet.empty();
  /**
   * Bumped whenever the set, the groups or the pause state change: stages recompute their
   * per-view masks when they see a new value (one integer compare per query).
   */
  epoch = 0;
  /** Group names, index = bit. */
  groups: readonly string[] = [];
  config: BlockingConfig | null = null;
  /** Blocked answers per view, per group (index = bit), read at scrape time. */
  readonly blocked = new Map<string, Float64Array>();
  /** Last rebuild: when (ms since epoch), how long (ms), and the set's size. */
  lastBuild: { at: number; ms: number; names: number; bytes: number } | null = null;
  readonly #opts: BlockingManagerOptions;
  readonly #log: Logger;
  readonly #dir: string;
  readonly #sources = new Map<string, SourceState>();
  #exempt: readonly string[] = [];
  #pausedAll: { until: number; timer: NodeJS.Timeout } | null = null;
  readonly #pausedViews = new Map<string, { until: number; timer: NodeJS.Timeout }>();
  #building: Promise<void> | null = null;
  #again = false;
  #closed = false;
  readonly #now: () => number;

  constructor(opts: BlockingManagerOptions) {
    this.#opts = opts;
    this.#log = opts.log.child({ component: 'blocking' });
    this.#dir = join(opts.dataDir, 'blocking');
    this.#now = opts.now ?? Date.now;
  }

  /** Counters of one view (created on first use). */
  countersFor(view: string): Float64Array {
    let c = this.blocked.get(view);
    if (c === undefined) this.blocked.set(view, (c = new Float64Array(MAX_GROUPS)));
    return c;
  }

  /**
   * Takes a (new) configuration: sources added are loaded (files, saved copies) and URL sources
   * scheduled; sources removed are dropped; file sources are checked for changes (a reload
   * after a list file changed applies it). `exempt`: the site's zone names, never blocked.
   * Returns once the rebuild is scheduled, not when it is done (see `settled()`).
   */
  adopt(config: BlockingConfig | null, exempt: readonly string[] = []): void {
    this.config = config;
    this.#exempt = [...exempt];
    const wanted = new Map<string, { spec: BlockingSource; allowOnly: boolean; bits: number; groups: string[] }>();
    const groups = config?.lists.map((g) => g.name) ?? [];
    config?.lists.forEach((g, i) => {
      for (const s of g.sources) {
        const id = `block ${s.kind === 'url' ? s.url : s.path}`;
        const w = wanted.get(id) ?? { spec: s, allowOnly: false, bits: 0, groups: [] };
        w.bits |= 1 << i;
        w.groups.push(g.name);
        wanted.set(id, w);
      }
    });
    for (const s of config?.allow ?? []) wanted.set(`allow ${s.kind === 'url' ? s.url : s.path}`, { spec: s, allowOnly: true, bits: 0, groups: [] });
    for (const [id, st] of this.#sources) {
      if (!wanted.has(id)) {
        if (st.timer) clearTimeout(st.timer);
        this.#sources.delete(id);
      }
    }
    for (const [id, w] of wanted) {
      let st = this.#sources.get(id);
      if (st === undefined) {
        st = {
          id, spec: w.spec, allowOnly: w.allowOnly, bits: w.bits, groups: w.groups, keys: null, stats: null, identity: '',
          pendingPath: null, validators: null, lastRefresh: null, logged: null, timer: null, downloading: null,
          results: new Map(), firstPending: false,
        };
        this.#sources.set(id, st);
        if (w.spec.kind === 'url') this.#startUrl(st);
      } else {
        st.spec = w.spec;
        st.bits = w.bits;
        st.groups = w.groups;
      }
      if (w.spec.kind === 'file') {
        const identity = fileIdentity(w.spec.path);
        if (identity !== st.identity || st.keys === null) st.pendingPath = w.spec.path;
      }
    }
    this.groups = groups;
    this.epoch++;
    this.requestRebuild();
  }

  /** Resolves when no rebuild is running or queued. */
  async settled(): Promise<void> {
    while (this.#building !== null) await this.#building;
  }

  /** Schedules a rebuild (folded into the running one's successor). */
  requestRebuild(): void {
    if (this.#closed) return;
    if (this.#building !== null) {
      this.#again = true;
      return;
    }
    this.#building = this.#rebuildLoop().finally(() => { this.#building = null; });
  }

  async #rebuildLoop(): Promise<void> {
    do {
      this.#again = false;
      try {
        await this.#rebuild();
      } catch (err) {
        this.#log.error({ err }, 'blocklist rebuild failed; the previous set keeps serving');
      }
    } while (this.#again && !this.#closed);
  }

  async #rebuild(): Promise<void> {
    const config = this.config;
    const sources = [...this.#sources.values()];
    const jobs: SourceJob[] = sources.map((s) => ({ id: s.id, bits: s.bits, allowOnly: s.allowOnly, path: s.pendingPath, previous: s.keys }));
    const paths = new Map(sources.map((s) => [s.id, s.pendingPath]));
    for (const s of sources) {
      if (s.spec.kind === 'file' && s.pendingPath !== null) s.identity = fileIdentity(s.spec.path);
      s.pendingPath = null;
    }
    const job: RebuildJob = { sources: jobs, exempt: this.#exempt, maxSize: config?.maxSize ?? 64 * 1024 * 1024 };
    const result = await this.#run(job);
    if (this.#closed) return;
    for (const r of result.sources) {
      const st = this.#sources.get(r.id);
      if (st !== undefined) this.#applySource(st, r, paths.get(r.id) ?? null);
    }
    this.set = new BlockSet(result.set);
    this.epoch++;
    this.lastBuild = { at: this.#now(), ms: result.ms, names: this.set.size, bytes: this.set.bytes };
    this.#log.info({ names: this.set.size, bytes: this.set.bytes, ms: Math.round(result.ms) }, 'blocklists loaded');
  }

  #applySource(st: SourceState, r: SourceResult, path: string | null): void {
    if (!r.compiled) return;
    const url = st.spec.kind === 'url';
    if (r.error === null) {
      st.keys = r.block !== null && r.allow !== null ? { block: r.block, allow: r.allow } : st.keys;
      st.stats = r.stats;
      if (url && path !== null && path.endsWith('.part')) {
        renameSync(path, this.#copyPath(st));
        st.identity = fileIdentity(this.#copyPath(st));
        this.#writeMeta(st);
      }
      if (!url || path?.endsWith('.part')) this.#record(st, 'ok', r.ms / 1000, null, r.stats);
      else if (r.stats) this.#logSamples(st, r.stats);
    } else {
      if (url && path !== null && path.endsWith('.part')) rmSync(path, { force: true });
      const stats = r.stats;
      this.#record(st, r.error.reason, r.ms / 1000, r.error.message, stats);
    }
  }

  /** Records a refresh outcome; logs it when it differs from the last one logged. */
  #record(st: SourceState, result: RefreshResult, seconds: number, message: string | null, stats: ParseStats | null = null): void {
    st.lastRefresh = { at: this.#now(), result, seconds, message };
    st.results.set(result, (st.results.get(result) ?? 0) + 1);
    const ok = result === 'ok' || result === 'not_modified';
    const changed = st.logged !== result;
    if (ok) {
      if (result === 'ok') this.#logSamples(st, stats);
      else if (changed && st.logged !== 'ok') this.#log.info({ source: st.spec.text, result }, 'blocklist unchanged');
    } else if (changed) {
      const code = result === 'empty' ? BlockingErrorCode.Empty : st.spec.kind === 'url' && result !== 'missing' && result !== 'unreadable' ? BlockingErrorCode.Download : BlockingErrorCode.Source;
      this.#log.warn({ source: st.spec.text, result, code, reason: message, serving: st.keys ? 'last good copy' : 'nothing from this source' },
        `blocklist ${st.spec.text}: ${message ?? result}; ${st.keys ? 'the last good copy keeps serving' : 'no copy to serve yet'}`);
    }
    st.logged = result;
  }

  #logSamples(st: SourceState, stats: ParseStats | null): void {
    if (stats === null) return;
    const fields = {
      source: st.spec.text, entries: stats.entries, allowEntries: stats.allowEntries, invalid: stats.invalid,
      unsupported: stats.unsupported, skipped: stats.skipped,
      ...(stats.invalidSamples.length > 0 ? { invalidSamples: stats.invalidSamples } : {}),
      ...(stats.unsupportedSamples.length > 0 ? { unsupportedSamples: stats.unsupportedSamples } : {}),
    };
    if (stats.invalid > 0 || stats.unsupported > 0) this.#log.warn(fields, `blocklist ${st.spec.text}: ${stats.invalid} invalid and ${stats.unsupported} unsupported lines skipped`);
    else this.#log.info(fields, `blocklist ${st.spec.text} read`);
  }

  #run(job: RebuildJob): Promise<RebuildResult> {
    const url = this.#opts.inline ? null : workerUrl();
    if (url === null) return new Promise((resolve, reject) => setImmediate(() => { try { resolve(runRebuild(job)); } catch (e) { reject(e as Error); } }));
    return new Promise((resolve, reject) => {
      const worker = new Worker(url, { resourceLimits: { maxOldGenerationSizeMb: 256 } });
      worker.once('message', (m: { ok: boolean; result?: RebuildResult; error?: string }) => {
        void worker.terminate();
        if (m.ok) resolve(m.result!);
        else reject(new HzError('HZ_ERR_INTERNAL', `blocking: the list rebuild failed: ${m.error}`));
      });
      worker.once('error', (err) => { void worker.terminate(); reject(err); });
      worker.postMessage(job);
    });
  }

  // --- URL sources ---------------------------------------------------------------------------

  #copyPath(st: SourceState): string {
    return join(this.#dir, `${createHash('sha256').update(st.spec.kind === 'url' ? st.spec.url : st.id).digest('hex').slice(0, 32)}.list`);
  }

  #writeMeta(st: SourceState): void {
    if (st.spec.kind !== 'url') return;
    const meta = { url: st.spec.url, etag: st.validators?.etag ?? null, lastModified: st.validators?.lastModified ?? null, savedAt: this.#now() };
    const file = `${this.#copyPath(st)}.json`;
    writeFileSync(`${file}.tmp`, JSON.stringify(meta));
    renameSync(`${file}.tmp`, file);
  }

  #startUrl(st: SourceState): void {
    const copy = this.#copyPath(st);
    let savedAt = 0;
    if (existsSync(copy)) {
      st.pendingPath = copy;
      st.identity = fileIdentity(copy);
      try {
        const meta = JSON.parse(readFileSync(`${copy}.json`, 'utf8')) as { etag?: string | null; lastModified?: string | null; savedAt?: number };
        st.validators = { etag: meta.etag ?? null, lastModified: meta.lastModified ?? null };
        savedAt = meta.savedAt ?? 0;
      } catch {
        st.validators = null;
      }
    } else {
      st.firstPending = !this.#opts.offline;
    }
    if (this.#opts.offline) return;
    const refreshMs = (this.config?.refresh ?? 86_400) * 1000;
    const due = savedAt === 0 ? 0 : Math.max(0, savedAt + refreshMs - this.#now());
    this.#schedule(st, due);
  }

  #schedule(st: SourceState, ms: number): void {
    if (st.timer) clearTimeout(st.timer);
    if (this.#closed) return;
    st.timer = setTimeout(() => { void this.refreshSource(st); }, Math.min(ms, 2 ** 31 - 1));
    st.timer.unref();
  }

  /** Downloads one URL source now (if not already) and rebuilds when it changed. */
  refreshSource(st: SourceState): Promise<void> {
    st.downloading ??= this.#download(st).finally(() => { st.downloading = null; });
    return st.downloading;
  }

  async #download(st: SourceState): Promise<void> {
    if (st.spec.kind !== 'url' || this.#closed) return;
    const c = this.config;
    if (c === null) return;
    mkdirSync(this.#dir, { recursive: true });
    const part = `${this.#copyPath(st)}.${process.pid}.part`;
    const t0 = performance.now();
    // Without keys the conditional headers would only get a 304 for a copy we cannot read.
    const res: DownloadResult = await download(st.spec.url, part, st.keys ? st.validators : null, {
      maxSize: c.maxSize, timeoutMs: c.timeout * 1000, maxRedirects: c.maxRedirects,
    });
    const seconds = (performance.now() - t0) / 1000;
    if (this.#closed || !this.#sources.has(st.id)) {
      rmSync(part, { force: true });
      return;
    }
    const refreshMs = c.refresh * 1000;
    if (res.kind === 'ok') {
      st.validators = res.validators;
      st.pendingPath = part;
      this.#schedule(st, refreshMs);
      this.requestRebuild();
      await this.settled();
    } else if (res.kind === 'not_modified') {
      this.#record(st, 'not_modified', seconds, null);
      this.#writeMeta(st);
      this.#schedule(st, refreshMs);
    } else {
      this.#record(st, res.reason, seconds, res.message);
      this.#schedule(st, Math.min(refreshMs, RETRY_MS));
    }
    st.firstPending = false;
  }

  /** Downloads every URL source and re-reads every file source now; resolves when applied. */
  async refresh(): Promise<void> {
    for (const st of this.#sources.values()) {
      if (st.spec.kind === 'file') st.pendingPath = st.spec.path;
    }
    this.requestRebuild();
    if (!this.#opts.offline) await Promise.all([...this.#sources.values()].filter((s) => s.spec.kind === 'url').map((s) => this.refreshSource(s)));
    await this.settled();
  }

  // --- Pause ---------------------------------------------------------------------------------

  /** Pauses blocking for `minutes` for every view, or for one. */
  pause(minutes: number, view?: string): number {
    const until = this.#now() + minutes * 60_000;
    const timer = setTimeout(() => this.resume(view), minutes * 60_000);
    timer.unref();
    if (view === undefined) {
      if (this.#pausedAll) clearTimeout(this.#pausedAll.timer);
      this.#pausedAll = { until, timer };
    } else {
      const old = this.#pausedViews.get(view);
      if (old) clearTimeout(old.timer);
      this.#pausedViews.set(view, { until, timer });
    }
    this.epoch++;
    this.#log.warn({ view: view ?? null, minutes }, `blocking paused for ${minutes} min${view ? ` in view ${view}` : ''}`);
    return until;
  }

  /** Ends a pause (all views: every pause). */
  resume(view?: string): void {
    if (view === undefined) {
      if (this.#pausedAll) clearTimeout(this.#pausedAll.timer);
      this.#pausedAll = null;
      for (const p of this.#pausedViews.values()) clearTimeout(p.timer);
      this.#pausedViews.clear();
    } else {
      const p = this.#pausedViews.get(view);
      if (p) clearTimeout(p.timer);
      this.#pausedViews.delete(view);
    }
    this.epoch++;
    this.#log.info({ view: view ?? null }, 'blocking resumed');
  }

  /** Until when (ms since epoch) blocking is paused for this view, or null. */
  pausedUntil(view: string): number | null {
    const a = this.#pausedAll?.until ?? null;
    const v = this.#pausedViews.get(view)?.until ?? null;
    if (a === null) return v;
    return v === null ? a : Math.max(a, v);
  }

  // --- Status --------------------------------------------------------------------------------

  /** Why readiness should wait (a URL source with no copy whose first download runs), or null. */
  waiting(): string | null {
    for (const st of this.#sources.values()) if (st.firstPending) return `waiting for the first download of blocklist ${st.spec.text}`;
    return null;
  }

  sources(): SourceStatus[] {
    return [...this.#sources.values()].map((st) => ({
      source: st.spec.text, kind: st.spec.kind, groups: st.groups, allowlist: st.allowOnly,
      entries: st.keys ? (st.allowOnly ? 0 : st.stats?.entries ?? st.keys.block.length) : 0,
      allowEntries: st.keys ? (st.stats?.allowEntries ?? st.keys.allow.length) : 0,
      invalid: st.stats?.invalid ?? 0, unsupported: st.stats?.unsupported ?? 0,
      loaded: st.keys !== null, lastRefresh: st.lastRefresh,
    }));
  }

  /** Refresh results counted per source (metrics). */
  *refreshCounts(): Generator<[string, RefreshResult, number]> {
    for (const st of this.#sources.values()) for (const [r, n] of st.results) yield [st.spec.text, r, n];
  }

  /** The file `blocking test` re-scans for a source: the file itself or the saved copy. */
  textPath(spec: BlockingSource): string {
    if (spec.kind === 'file') return spec.path;
    return join(this.#dir, `${createHash('sha256').update(spec.url).digest('hex').slice(0, 32)}.list`);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const st of this.#sources.values()) if (st.timer) clearTimeout(st.timer);
    if (this.#pausedAll) clearTimeout(this.#pausedAll.timer);
    for (const p of this.#pausedViews.values()) clearTimeout(p.timer);
    await Promise.allSettled([...this.#sources.values()].map((s) => s.downloading));
    await this.#building;
  }
}
