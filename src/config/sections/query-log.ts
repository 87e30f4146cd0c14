import { DEFAULTS } from '../defaults.js';
import { viewRef } from '../names.js';
import { bool, list, num, object, optional, path, withDefault } from '../schema.js';
import type { QueryLogConfig } from '../types.js';

/**
 * `queryLog`: one JSON line per (sampled) query, written by its own asynchronous logger so it
 * never slows the answer path.
 */

const D = DEFAULTS.queryLog;

/** Parses `queryLog`. */
export const parseQueryLog = object(
  {
    enabled: withDefault(bool, D.enabled),
    sampleRate: withDefault(num(0, 1, true), D.sampleRate),
    views: withDefault(list(viewRef, { unique: { key: (n) => n, what: 'view' } }), D.views),
    file: optional(path),
  },
  (v): QueryLogConfig => ({ ...v, file: v.file ?? null }),
);
