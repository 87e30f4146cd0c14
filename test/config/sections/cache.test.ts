import t from 'tap';
import { ConfigError, parseConfig } from '../../../src/config/index.js';

function errors(text: string): string[] {
  try {
    parseConfig(text, 'h.yaml', '/');
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  throw new Error('config was accepted');
}

t.test('cache values are normalised to seconds and bytes', async (t) => {
  const c = parseConfig([
    'cache:',
    '  maxEntries: 5000',
    '  maxBytes: 1GiB',
    '  minTtl: 0',
    '  maxTtl: 1d',
    '  negativeMaxTtl: 15m',
    '  servfailTtl: 1s',
    '  prefetch: false',
    '  serveStale: { enabled: false, maxStale: 1h30m, answerTtl: 1, clientTimeout: 400ms, failureRecheck: 2m }',
  ].join('\n'), 'h.yaml', '/');
  t.same(c.cache, {
    maxEntries: 5000, maxBytes: 1024 ** 3, minTtl: 0, maxTtl: 86_400, negativeMaxTtl: 900, servfailTtl: 1, prefetch: false,
    serveStale: { enabled: false, maxStale: 5400, answerTtl: 1, clientTimeout: 0.4, failureRecheck: 120 },
  });
  t.equal(parseConfig('cache: { servfailTtl: 5m }', 'h.yaml', '/').cache.servfailTtl, 300, 'RFC 9520 upper bound is allowed');
});

t.test('cache errors', async (t) => {
  const text = [
    'cache:',                   // 1
    '  maxEntries: 0',          // 2
    '  maxBytes: 512B',         // 3
    '  negativeMaxTtl: -1',     // 4
    '  servfailTtl: 500ms',     // 5
    '  serveStale: { enabled: true, maxStale: 0, answerTtl: 0, clientTimeout: 31s, failureRecheck: -5s }', // 6
  ].join('\n');
  t.same(errors(text), [
    'h.yaml:2:15: cache.maxEntries: expected 1..100000000',
    'h.yaml:3:13: cache.maxBytes: expected 1KiB..1TiB',
    'h.yaml:4:19: cache.negativeMaxTtl: must not be negative',
    'h.yaml:5:16: cache.servfailTtl: expected whole seconds',
    'h.yaml:6:42: cache.serveStale.maxStale: must be greater than 0',
    'h.yaml:6:56: cache.serveStale.answerTtl: must be greater than 0',
    'h.yaml:6:74: cache.serveStale.clientTimeout: must be at most 30s',
    'h.yaml:6:95: cache.serveStale.failureRecheck: must be greater than 0',
  ]);
  t.same(errors('cache:\n  servfailTtl: 6m\n  serveStale: { answerTtl: -30s }\n'), [
    'h.yaml:2:16: cache.servfailTtl: expected 1s..5m',
    'h.yaml:3:28: cache.serveStale.answerTtl: must be greater than 0',
  ]);
  t.same(errors('cache: { servfailTtl: 0 }'), ['h.yaml:1:23: cache.servfailTtl: expected 1s..5m']);
});

t.test('minTtl may not exceed maxTtl', async (t) => {
  t.same(errors('cache:\n  maxTtl: 1h\n  minTtl: 2h\n'), ['h.yaml:3:11: cache.minTtl: minTtl (2h) must not exceed maxTtl (1h)']);
  t.same(errors('cache:\n  maxTtl: 30s\n'), ['h.yaml:2:11: cache.maxTtl: minTtl (1m) must not exceed maxTtl (30s)'],
    'with minTtl defaulted, the error points at maxTtl');
  t.equal(parseConfig('cache: { minTtl: 1h, maxTtl: 1h }', 'h.yaml', '/').cache.minTtl, 3600);
});
