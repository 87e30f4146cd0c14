import { HzError } from '../../errors/index.js';
/**
 * Cache and serve-stale settings, with their defaults in one table. Durations are seconds
 * (fractions allowed), sizes bytes, as in the normalised config.
 */

/** RFC 8767 serve-stale settings. */
export interface ServeStaleSettings {
  enabled: boolean;
  /** How long past expiry an answer may still be served stale (RFC 8767 §5 suggests 1-3 days). */
  maxStale: number;
  /** TTL written into stale answers (RFC 8767 §4: > 0, 30 recommended). */
  answerTtl: number;
  /** Client response timer: stale is sent if the refresh has not landed by then (RFC 8767 §5). */
  clientTimeout: number;
  /** After a failed refresh, serve stale without asking upstream for this long (RFC 8767 §5). */
  failureRecheck: number;
}

export interface CacheSettings {
  maxEntries: number;
  maxBytes: number;
  /** Positive answers are kept at least this long, whatever their TTL. */
  minTtl: number;
  maxTtl: number;
  /** Cap of the RFC 2308 negative TTL (min of SOA TTL and SOA MINIMUM). */
  negativeMaxTtl: number;
  /** How long a resolution failure (SERVFAIL, timeout) is remembered (RFC 9520: 1 s .. 5 min). */
  servfailTtl: number;
  /** Refresh an entry in the background when it is hit in the last 10% of its TTL. */
  prefetch: boolean;
  serveStale: ServeStaleSettings;
}

/** Partial settings as callers write them; missing keys take the defaults. */
export type CacheSettingsInput = Partial<Omit<CacheSettings, 'serveStale'>> & { serveStale?: Partial<ServeStaleSettings> };

export const CACHE_DEFAULTS: Readonly<CacheSettings> = Object.freeze({
  maxEntries: 100_000,
  maxBytes: 64 * 1024 * 1024,
  minTtl: 60,
  maxTtl: 604_800,
  negativeMaxTtl: 10_800,
  servfailTtl: 5,
  prefetch: true,
  serveStale: Object.freeze({ enabled: true, maxStale: 259_200, answerTtl: 30, clientTimeout: 1.8, failureRecheck: 30 }),
});

/** Fills defaults and checks ranges; throws RangeError naming the offending key. */
export function normalizeCacheSettings(input: CacheSettingsInput = {}): CacheSettings {
  const d = CACHE_DEFAULTS;
  const s = input.serveStale ?? {};
  const out: CacheSettings = {
    maxEntries: input.maxEntries ?? d.maxEntries,
    maxBytes: input.maxBytes ?? d.maxBytes,
    minTtl: input.minTtl ?? d.minTtl,
    maxTtl: input.maxTtl ?? d.maxTtl,
    negativeMaxTtl: input.negativeMaxTtl ?? d.negativeMaxTtl,
    servfailTtl: input.servfailTtl ?? d.servfailTtl,
    prefetch: input.prefetch ?? d.prefetch,
    serveStale: {
      enabled: s.enabled ?? d.serveStale.enabled,
      maxStale: s.maxStale ?? d.serveStale.maxStale,
      answerTtl: s.answerTtl ?? d.serveStale.answerTtl,
      clientTimeout: s.clientTimeout ?? d.serveStale.clientTimeout,
      failureRecheck: s.failureRecheck ?? d.serveStale.failureRecheck,
    },
  };
  intIn('cache.maxEntries', out.maxEntries, 1, 100_000_000);
  intIn('cache.maxBytes', out.maxBytes, 4096, Number.MAX_SAFE_INTEGER);
  numIn('cache.minTtl', out.minTtl, 0, 604_800);
  numIn('cache.maxTtl', out.maxTtl, 1, 604_800);
  if (out.minTtl > out.maxTtl) throw new HzError('HZ_ERR_INVALID_ARGUMENT', 'cache.minTtl: must not exceed cache.maxTtl');
  numIn('cache.negativeMaxTtl', out.negativeMaxTtl, 0, 604_800);
  numIn('cache.servfailTtl', out.servfailTtl, 1, 300);
  numIn('cache.serveStale.maxStale', out.serveStale.maxStale, 0, 604_800);
  numIn('cache.serveStale.answerTtl', out.serveStale.answerTtl, 1, 3_600);
  numIn('cache.serveStale.clientTimeout', out.serveStale.clientTimeout, 0, 60);
  numIn('cache.serveStale.failureRecheck', out.serveStale.failureRecheck, 1, 300);
  return out;
}

function numIn(key: string, v: number, min: number, max: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new HzError('HZ_ERR_INVALID_ARGUMENT', `${key}: must be a number from ${min} to ${max}, got ${String(v)}`);
  }
}

function intIn(key: string, v: number, min: number, max: number): void {
  numIn(key, v, min, max);
  if (!Number.isInteger(v)) throw new HzError('HZ_ERR_INVALID_ARGUMENT', `${key}: must be a whole number, got ${v}`);
}
