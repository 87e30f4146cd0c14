import { watch, statSync, realpathSync, type FSWatcher } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Config } from '../config/types.js';

/**
 * Reload on file change: watches the config file and every zone file and calls `onChange` once
 * things settle. It watches the *directories* holding the files, never the files themselves, so
 * it keeps working when the file is replaced rather than rewritten:
 * - editors that save by writing a temp file and renaming it over the original;
 * - Kubernetes ConfigMap and Secret volumes, where each file is a symlink through `..data`,
 *   a symlink the kubelet swaps atomically to a new timestamped directory (mount the volume
 *   as a directory: a `subPath` mount never sees updates).
 * Any event in a watched directory starts a debounce timer; when it fires, each file's identity
 * (device, inode, size, mtime, ctime, symlinks followed) is compared with the last one seen, and
 * `onChange` runs only if one of them differs. A change that arrives while `onChange` is still
 * running is checked again when it completes, so no edit is lost.
 */

export interface WatchLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface WatchOptions {
  /** The files to watch; read again by refresh() (and after each change). */
  files: () => readonly string[];
  /** Called with the files that changed; may return a promise (awaited before the next call). */
  onChange: (changed: string[]) => unknown;
  /** Quiet time after the last event before checking, in ms (default 500). */
  debounceMs?: number;
  log?: WatchLogger;
}

export const WATCH_DEBOUNCE_MS = 500;

export class FileWatcher {
  readonly #opts: WatchOptions;
  readonly #debounceMs: number;
  /** Directory → its watcher. */
  readonly #dirs = new Map<string, FSWatcher>();
  /** File → identity last seen ('' when missing). */
  #seen = new Map<string, string>();
  #timer: NodeJS.Timeout | null = null;
  #running = false;
  #again = false;
  #closed = false;

  constructor(opts: WatchOptions) {
    this.#opts = opts;
    this.#debounceMs = opts.debounceMs ?? WATCH_DEBOUNCE_MS;
    this.refresh();
  }

  /** Files being watched now. */
  get files(): string[] {
    return [...this.#seen.keys()];
  }

  /**
   * Re-reads the file list, records the identity of files not seen before, and watches the
   * directories they live in (and those their symlinks point into). Call it after a reload the
   * watcher did not start (SIGHUP), since the zone list may have changed.
   */
  refresh(): void {
    if (this.#closed) return;
    const files = [...new Set(this.#opts.files().map((f) => resolve(f)))];
    const seen = new Map<string, string>();
    for (const f of files) seen.set(f, this.#seen.get(f) ?? identity(f));
    this.#seen = seen;
    const dirs = new Set<string>();
    for (const f of files) {
      dirs.add(dirname(f));
      try {
        dirs.add(dirname(realpathSync(f)));
      } catch {
        // missing for now: its own directory is watched, so it is noticed when it appears
      }
    }
    for (const [dir, w] of this.#dirs) {
      if (dirs.has(dir)) continue;
      w.close();
      this.#dirs.delete(dir);
    }
    for (const dir of dirs) if (!this.#dirs.has(dir)) this.#watchDir(dir);
  }

  /** Stops watching; no onChange call happens after this. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    for (const w of this.#dirs.values()) w.close();
    this.#dirs.clear();
  }

  #watchDir(dir: string): void {
    try {
      const w = watch(dir, { persistent: false }, this.#onEvent);
      w.on('error', (err) => {
        this.#opts.log?.warn({ dir, err }, 'reload: directory watch failed; watching again on the next change');
        w.close();
        if (this.#dirs.get(dir) === w) this.#dirs.delete(dir);
        this.#onEvent();
      });
      this.#dirs.set(dir, w);
    } catch (err) {
      this.#opts.log?.warn({ dir, err }, 'reload: cannot watch directory');
    }
  }

  readonly #onEvent = (): void => {
    if (this.#closed) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(this.#settled, this.#debounceMs);
    this.#timer.unref();
  };

  readonly #settled = (): void => {
    this.#timer = null;
    if (this.#running) {
      this.#again = true;
      return;
    }
    void this.#check();
  };

  async #check(): Promise<void> {
    const changed: string[] = [];
    for (const [f, before] of this.#seen) {
      const now = identity(f);
      if (now === before) continue;
      this.#seen.set(f, now);
      changed.push(f);
    }
    if (changed.length > 0 && !this.#closed) {
      this.#running = true;
      this.#opts.log?.info({ files: changed }, 'reload: files changed, reloading');
      try {
        await this.#opts.onChange(changed);
      } catch (err) {
        this.#opts.log?.warn({ err }, 'reload: change handler failed');
      } finally {
        this.#running = false;
      }
    }
    this.refresh();
    if (this.#again && !this.#closed) {
      this.#again = false;
      await this.#check();
    }
  }
}

/** What identifies a file's content version without reading it; '' when it is missing. */
function identity(file: string): string {
  try {
    const s = statSync(file, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch {
    return '';
  }
}

/**
 * The files a configuration depends on: the config file itself, every zone file, and the
 * resolv.conf that `forward.upstreams: system` reads (so its nameservers are re-read when it
 * changes, e.g. a new DHCP lease or a VPN coming up).
 */
export function watchedFiles(config: Config): string[] {
  const files = new Set<string>([resolve(config.file)]);
  if (config.forward.system !== null) files.add(config.forward.system.resolvConf);
  // A secondary zone's file is our own copy of the last transfer, rewritten by every transfer:
  // watching it would reload after each one.
  for (const z of config.zones) if (z.type !== 'secondary') files.add(z.file);
  for (const v of config.views.list) for (const z of v.zones) if (z.type !== 'secondary') files.add(z.file);
  // Local blocklists: a change reloads, and the reload re-reads the lists that changed.
  for (const g of config.blocking?.lists ?? []) for (const s of g.sources) if (s.kind === 'file') files.add(s.path);
  for (const s of config.blocking?.allow ?? []) if (s.kind === 'file') files.add(s.path);
  return [...files];
}
