import t from 'tap';
import { AnswerCache } from '../../../src/resolver/cache/answer-cache.js';
import { CacheEntry, EntryKind } from '../../../src/resolver/cache/entry.js';

const entry = (bytes: number, storedAt = 0, ttl = 100, stale = 0) =>
  new CacheEntry(EntryKind.Positive, 0, Buffer.alloc(bytes), new Uint16Array(0), storedAt, ttl, storedAt + ttl + stale);

t.test('bounded by entries, least recently used goes first', async (t) => {
  const c = new AnswerCache({ maxEntries: 3, maxBytes: 1 << 20 });
  c.set('a', entry(10));
  c.set('b', entry(10));
  c.set('c', entry(10));
  t.ok(c.get('a'), 'touch a');
  c.set('d', entry(10));
  t.equal(c.size, 3);
  t.notOk(c.peek('b'), 'b was least recently used');
  t.ok(c.peek('a'));
  t.equal(c.stats().evictions, 1);
});

t.test('bounded by bytes', async (t) => {
  const c = new AnswerCache({ maxEntries: 1000, maxBytes: 10_000 });
  for (let i = 0; i < 20; i++) c.set(`k${i}`, entry(1000));
  t.ok(c.bytes <= 10_000, `bytes ${c.bytes} within the limit`);
  t.ok(c.size < 20 && c.size >= 8);
  t.equal(c.stats().evictions, 20 - c.size);
  t.equal(c.stats().entries, c.size);
});

t.test('adopt keeps the cache across a reload, resizing when limits change', async (t) => {
  const c = new AnswerCache({ maxEntries: 10, maxBytes: 1 << 20 });
  for (let i = 0; i < 10; i++) c.set(`k${i}`, entry(10));
  c.counters.hits = 42;
  t.equal(AnswerCache.adopt(c, { maxEntries: 10, maxBytes: 1 << 20 }), c, 'same limits: same object');
  c.get('k0'); // most recent now
  const smaller = AnswerCache.adopt(c, { maxEntries: 3, maxBytes: 1 << 20 });
  t.not(smaller, c);
  t.equal(smaller.size, 3);
  t.ok(smaller.peek('k0'), 'the most recently used entries survive');
  t.ok(smaller.peek('k9'));
  t.notOk(smaller.peek('k1'));
  t.equal(smaller.stats().hits, 42, 'counters carried over');
  t.equal(AnswerCache.adopt(null, { maxEntries: 5, maxBytes: 1 << 20 }).size, 0);
});

t.test('entry staleness and one refresh at a time', async (t) => {
  const e = entry(10, 1000, 100, 50);
  t.equal(e.ttl(1040), 60);
  t.ok(e.ttl(1100) <= 0, 'expired at storedAt + origTtl');
  t.ok(e.servableStale(1149));
  t.notOk(e.servableStale(1150));
  t.ok(e.beginRefresh(1100));
  t.notOk(e.beginRefresh(1100), 'only one refresh in flight');
  e.endRefresh(false, 1100, 30);
  t.notOk(e.beginRefresh(1129), 'failure recheck blocks');
  t.ok(e.beginRefresh(1130));
  e.endRefresh(true, 1130, 30);
  t.ok(e.beginRefresh(1131));
  const f = CacheEntry.failure(500, 5, 22);
  t.equal(f.kind, EntryKind.Failure);
  t.equal(f.ttl(504), 1);
  t.notOk(f.servableStale(505), 'a failure is never served stale');
});
