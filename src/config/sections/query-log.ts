import { DEFAULTS } from '../defaults.js';
import { viewRef } from '../names.js';
import { bool, duration, int, list, num, object, oneOf, optional, path, required, size, str, withDefault } from '../schema.js';
import type { QueryLogConfig, QueryLogSinkConfig } from '../types.js';
import { parseDuration, parseSize } from '../units.js';

/**
 * `queryLog`: one record per (sampled) answer, handed to each sink through its own bounded
 * queue so a slow or absent sink never slows the answer path (src/querylog/README.md).
 * On by default with one sink, `sqlite` in the data directory.
 */

const D = DEFAULTS.queryLog;
const SINK_TYPES = ['sqlite', 'postgres', 'stdout'] as const;
const DS = D['sinks[]'];
const sizeDefault = parseSize(DS.maxSize)!;

/** Keys each sink type takes besides `type`. */
const KEYS: Readonly<Record<(typeof SINK_TYPES)[number], readonly string[]>> = {
  sqlite: ['file', 'maxSize'],
  postgres: ['url', 'passwordFile', 'table', 'batchRows', 'flushInterval'],
  stdout: [],
};

const pgUrl = str({ pattern: /^postgres(ql)?:\/\/[^\s]+$/, what: 'a postgres:// URL such as postgres://horizond@db.example:5432/dns' });

const sink = object(
  {
    type: required(oneOf(SINK_TYPES)),
    file: optional(path),
    maxSize: optional(size(1024 * 1024, 2 ** 50)),
    url: optional(pgUrl),
    passwordFile: optional(path),
    table: optional(str({ pattern: /^[a-z_][a-z0-9_]{0,40}$/, what: 'a table name of lower-case letters, digits and _' })),
    batchRows: optional(int(100, 1_000_000)),
    flushInterval: optional(duration({ min: 0.05, max: 60 })),
  },
  (v, at): QueryLogSinkConfig | undefined => {
    let ok = true;
    for (const key of ['file', 'maxSize', 'url', 'passwordFile', 'table', 'batchRows', 'flushInterval'] as const) {
      if (v[key] !== undefined && !KEYS[v.type].includes(key)) {
        const owners = SINK_TYPES.filter((t) => KEYS[t].includes(key)).join(' or ');
        at.child(key).error(key === 'file' && v.type === 'stdout' ? 'is not used by the stdout sink (queryLog.file names its file)' : `is only used by the ${owners} sink`);
        ok = false;
      }
    }
    if (v.type === 'postgres' && v.url === undefined) {
      at.error('a postgres sink needs url');
      ok = false;
    }
    if (!ok) return undefined;
    switch (v.type) {
      case 'stdout': return { type: 'stdout' };
      case 'sqlite': return { type: 'sqlite', file: v.file ?? null, maxSize: v.maxSize ?? sizeDefault };
      case 'postgres': return {
        type: 'postgres', url: v.url!, passwordFile: v.passwordFile ?? null, table: v.table ?? DS.table,
        batchRows: v.batchRows ?? DS.batchRows, flushInterval: v.flushInterval ?? parseDuration(DS.flushInterval)!,
      };
    }
  },
);

/** Parses `queryLog`. */
export const parseQueryLog = object(
  {
    enabled: withDefault(bool, D.enabled),
    sampleRate: withDefault(num(0, 1, true), D.sampleRate),
    views: withDefault(list(viewRef, { unique: { key: (n) => n, what: 'view' } }), D.views),
    file: optional(path),
    retention: withDefault(duration({ min: 60, max: 10 * 365 * 86400 }), D.retention),
    queueSize: withDefault(int(1000, 10_000_000), D.queueSize),
    liveStats: withDefault(bool, D.liveStats),
    sinks: withDefault(list(sink, { unique: { key: (s) => s.type, what: 'sink type', at: 'type' } }), D.sinks),
  },
  (v): QueryLogConfig => ({ ...v, file: v.file ?? null }),
);
