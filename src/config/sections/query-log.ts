import { DEFAULTS } from '../defaults.js';
import { viewRef } from '../names.js';
import { bool, duration, int, list, num, object, oneOf, optional, path, required, size, withDefault } from '../schema.js';
import type { QueryLogConfig, QueryLogSinkConfig } from '../types.js';
import { parseSize } from '../units.js';

/**
 * `queryLog`: one record per (sampled) answer, handed to each sink through its own bounded
 * queue so a slow or absent sink never slows the answer path (src/querylog/README.md).
 * On by default with one sink, `sqlite` in the data directory.
 */

const D = DEFAULTS.queryLog;
const SINK_TYPES = ['sqlite', 'stdout'] as const;

const sink = object(
  {
    type: required(oneOf(SINK_TYPES)),
    file: optional(path),
    maxSize: optional(size(1024 * 1024, 2 ** 50)),
  },
  (v, at): QueryLogSinkConfig | undefined => {
    if (v.type === 'stdout') {
      let ok = true;
      for (const key of ['file', 'maxSize'] as const) {
        if (v[key] !== undefined) {
          at.child(key).error(key === 'file' ? 'is not used by the stdout sink (queryLog.file names its file)' : 'is only used by the sqlite sink');
          ok = false;
        }
      }
      return ok ? { type: 'stdout' } : undefined;
    }
    return { type: 'sqlite', file: v.file ?? null, maxSize: v.maxSize ?? sizeDefault };
  },
);

const sizeDefault = parseSize(D['sinks[]'].maxSize)!;

/** Parses `queryLog`. */
export const parseQueryLog = object(
  {
    enabled: withDefault(bool, D.enabled),
    sampleRate: withDefault(num(0, 1, true), D.sampleRate),
    views: withDefault(list(viewRef, { unique: { key: (n) => n, what: 'view' } }), D.views),
    file: optional(path),
    retention: withDefault(duration({ min: 60, max: 10 * 365 * 86400 }), D.retention),
    queueSize: withDefault(int(1000, 10_000_000), D.queueSize),
    sinks: withDefault(list(sink, { unique: { key: (s) => s.type, what: 'sink type', at: 'type' } }), D.sinks),
  },
  (v): QueryLogConfig => ({ ...v, file: v.file ?? null }),
);
