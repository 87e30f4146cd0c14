import { DEFAULTS } from '../defaults.js';
import { bool, duration, int, object, size, withDefault } from '../schema.js';
import type { CacheConfig } from '../types.js';
import { formatDuration } from '../units.js';

/**
 * `cache`: the answer cache and serve-stale (RFC 8767). TTL-like values are whole seconds.
 * `servfailTtl` follows RFC 9520 (at least 1 second, at most 5 minutes); the serve-stale
 * defaults are RFC 8767's suggestions (30 s stale TTL, 1.8 s client timer, 30 s recheck).
 */

const D = DEFAULTS.cache;
const DAY = 86_400;
/** RFC 2181 §8: TTLs fit 31 bits. */
const MAX_TTL = 2 ** 31 - 1;

const serveStale = object({
  enabled: withDefault(bool, D.serveStale.enabled),
  maxStale: withDefault(duration({ whole: true, positive: true, max: 30 * DAY }), D.serveStale.maxStale),
  answerTtl: withDefault(duration({ whole: true, positive: true, max: DAY }), D.serveStale.answerTtl),
  clientTimeout: withDefault(duration({ positive: true, max: 30 }), D.serveStale.clientTimeout),
  failureRecheck: withDefault(duration({ positive: true, max: DAY }), D.serveStale.failureRecheck),
});

/** Parses `cache`. */
export const parseCache = object(
  {
    maxEntries: withDefault(int(1, 100_000_000), D.maxEntries),
    maxBytes: withDefault(size(1024, 1024 ** 4), D.maxBytes),
    minTtl: withDefault(duration({ whole: true, max: DAY }), D.minTtl),
    maxTtl: withDefault(duration({ whole: true, positive: true, max: MAX_TTL }), D.maxTtl),
    negativeMaxTtl: withDefault(duration({ whole: true, max: DAY }), D.negativeMaxTtl),
    servfailTtl: withDefault(duration({ whole: true, min: 1, max: 300 }), D.servfailTtl),
    prefetch: withDefault(bool, D.prefetch),
    serveStale: withDefault(serveStale, {}),
  },
  (v, at): CacheConfig | undefined => {
    if (v.minTtl > v.maxTtl) {
      const where = at.child('minTtl').present ? at.child('minTtl') : at.child('maxTtl');
      return where.error(`minTtl (${formatDuration(v.minTtl)}) must not exceed maxTtl (${formatDuration(v.maxTtl)})`);
    }
    return v;
  },
);
