import type { Config } from '../config/types.js';
import type { Logger } from '../observability/log.js';
import { loadZones, type ZoneLoadFailure } from '../zone/catalog.js';
import type { ZoneStore } from '../zone/store.js';
import type { Zone } from '../zone/zone.js';
import type { ZoneFileCache } from '../zone/file-cache.js';
import { compileViews, type ViewSet } from './views.js';

export interface LoadedViews {
  views: ViewSet;
  /** View-specific zones that failed to load (each also logged with its view). */
  failures: (ZoneLoadFailure & { view: string })[];
}

/**
 * Loads every view's own zones and compiles the views (config load and reload). `global` is the
 * store of the already loaded global zones. A view zone that fails to load is logged and left
 * out; on a reload its previous version (same view, same name) keeps serving, as for global
 * zones, and each view keeps its counters.
 */
export function loadViews(config: Pick<Config, 'zones' | 'views'>, global: ZoneStore, log: Logger, previous?: ViewSet | null, files?: ZoneFileCache): LoadedViews {
  const own = new Map<string, Zone[]>();
  const failures: LoadedViews['failures'] = [];
  for (const vc of config.views.list) {
    const configs = vc.zones.filter((z) => !config.zones.includes(z));
    if (configs.length === 0) continue;
    const before = previous?.get(vc.name);
    const prev = before ? (name: string): Zone | undefined => (before.ownZones.has(name) ? before.zones.get(name) : undefined) : undefined;
    const loaded = loadZones(configs, log.child({ view: vc.name }), prev, files);
    own.set(vc.name, loaded.zones);
    for (const f of loaded.failures) failures.push({ ...f, view: vc.name });
  }
  return { views: compileViews(config.views, own, global, config.zones, previous ?? null), failures };
}
