import type { Zone } from './zone.js';

/**
 * What a new zone version changed, noted by whoever made it from known changes (a dynamic
 * update: the names its journal records touched), so that consumers that need the difference
 * (the IXFR history) read only those names instead of walking both versions whole. The note
 * holds its base version weakly: it never keeps an old version alive, and a consumer whose
 * previous version is not that base falls back to a full comparison.
 */
export interface ChangeHint {
  readonly from: WeakRef<Zone>;
  /** Lower-case FQDNs whose RRsets may differ between `from` and the noted version. */
  readonly names: ReadonlySet<string>;
}

const hints = new WeakMap<Zone, ChangeHint>();

/** Notes that `next` differs from `from` at most at `names` (lower-case FQDNs). */
export function noteChanges(next: Zone, from: Zone, names: ReadonlySet<string>): void {
  hints.set(next, { from: new WeakRef(from), names });
}

/** The names that differ between `from` and `next`, when that was noted; else null. */
export function changedNames(from: Zone, next: Zone): ReadonlySet<string> | null {
  const h = hints.get(next);
  return h !== undefined && h.from.deref() === from ? h.names : null;
}
