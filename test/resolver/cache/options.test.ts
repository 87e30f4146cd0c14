import t from 'tap';
import { CACHE_DEFAULTS, normalizeCacheSettings } from '../../../src/resolver/cache/options.js';

t.test('defaults follow RFC 8767 / RFC 2308 / RFC 9520 values', async (t) => {
  const s = normalizeCacheSettings();
  t.same(s, CACHE_DEFAULTS);
  t.equal(s.serveStale.answerTtl, 30);
  t.equal(s.serveStale.clientTimeout, 1.8);
  t.equal(s.serveStale.failureRecheck, 30);
  t.equal(s.serveStale.maxStale, 3 * 86_400);
  t.equal(s.negativeMaxTtl, 3 * 3600);
  t.equal(s.servfailTtl, 5);
  t.equal(s.maxEntries, 100_000);
});

t.test('partial input keeps other defaults; bad values name their key', async (t) => {
  const s = normalizeCacheSettings({ minTtl: 0, serveStale: { enabled: false } });
  t.equal(s.minTtl, 0);
  t.equal(s.serveStale.enabled, false);
  t.equal(s.serveStale.answerTtl, 30);
  t.throws(() => normalizeCacheSettings({ servfailTtl: 0 }), /cache\.servfailTtl/);
  t.throws(() => normalizeCacheSettings({ servfailTtl: 301 }), /cache\.servfailTtl/);
  t.throws(() => normalizeCacheSettings({ serveStale: { answerTtl: 0 } }), /answerTtl/);
  t.throws(() => normalizeCacheSettings({ minTtl: 100, maxTtl: 50 }), /minTtl/);
  t.throws(() => normalizeCacheSettings({ maxEntries: 1.5 }), /maxEntries/);
});
