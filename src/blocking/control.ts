import type { Config } from '../config/types.js';
import { HzError } from '../errors/index.js';
import { BlockingError, BlockingErrorCode } from './errors.js';
import type { Verdict } from './explain.js';
import type { BlockingManager, SourceStatus } from './manager.js';

/**
 * The operator's handle on blocking, for the CLI and the web console: status, `test` (why a
 * name is or is not blocked), pause for N minutes (every view or one), resume, refresh now.
 * A reload applies list changes by itself (the manager re-reads what changed).
 */

export interface BlockingStatus {
  readonly configured: boolean;
  readonly groups: readonly string[];
  /** Distinct names in the compiled set, and its memory. */
  readonly names: number;
  readonly bytes: number;
  readonly lastBuild: { readonly at: number; readonly ms: number } | null;
  /** Views with their groups and pause state (ms since epoch, or null). */
  readonly views: readonly { readonly view: string; readonly groups: readonly string[]; readonly pausedUntil: number | null }[];
  readonly sources: readonly SourceStatus[];
  /** Set while a URL source without a copy downloads for the first time (answers unblocked). */
  readonly waiting: string | null;
}

export class BlockingControl {
  readonly #manager: BlockingManager;
  readonly #config: () => Config;

  /** `config`: the configuration serving now (read at each call, so reloads are followed). */
  constructor(manager: BlockingManager, config: () => Config) {
    this.#manager = manager;
    this.#config = config;
  }

  status(): BlockingStatus {
    const m = this.#manager;
    const c = this.#config();
    const all = c.blocking?.lists.map((g) => g.name) ?? [];
    return {
      configured: c.blocking !== null,
      groups: all,
      names: m.set.size,
      bytes: m.set.bytes,
      lastBuild: m.lastBuild,
      views: c.views.list.map((v) => ({ view: v.name, groups: v.blocking ?? all, pausedUntil: m.pausedUntil(v.name) })),
      sources: m.sources(),
      waiting: m.waiting(),
    };
  }

  /**
   * Why `name` is or is not blocked for `view` (every group without one). Re-reads the sources
   * on a worker thread (a cold path: about a second for a million-line list, never on the DNS
   * event loop). Reports a pause of that view in `paused`.
   */
  async test(name: string, view?: string): Promise<Verdict & { readonly paused: boolean }> {
    this.#check(view);
    const v = await this.#manager.explain(this.#config(), name, view);
    return { ...v, paused: view !== undefined && this.#manager.pausedUntil(view) !== null };
  }

  /** Pauses blocking for `minutes` (every view, or one); returns when it ends (ms since epoch). */
  pause(minutes: number, view?: string): number {
    this.#check(view);
    if (!(minutes > 0 && minutes <= 7 * 24 * 60)) throw new HzError('HZ_ERR_INVALID_ARGUMENT', 'blocking: pause must be more than 0 and at most 10080 minutes');
    return this.#manager.pause(minutes, view);
  }

  resume(view?: string): void {
    this.#check(view);
    this.#manager.resume(view);
  }

  /** Downloads every URL source and re-reads every file now; resolves when the new set serves. */
  refresh(): Promise<void> {
    this.#check();
    return this.#manager.refresh();
  }

  #check(view?: string): void {
    const c = this.#config();
    if (c.blocking === null) throw new BlockingError(BlockingErrorCode.NotConfigured, 'no blocking section in the configuration');
    if (view !== undefined && !c.views.list.some((v) => v.name === view)) {
      throw new BlockingError(BlockingErrorCode.UnknownView, `no view named "${view}"`);
    }
  }
}
