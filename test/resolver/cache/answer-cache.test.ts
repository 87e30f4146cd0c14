import t from 'tap';
import { AnswerCache } from '../../../src/resolver/cache/answer-cache.js';
import { CacheEntry, EntryKind } from '../../../src/resolver/cache/entry.js';
import type { PackedAnswer } from '../../../src/resolver/cache/pack.js';

/** A packed answer of `bytes` bytes (no TTL offsets), every byte `fill`. */
const packed = (bytes: number, fill = 0, ttl = 100): PackedAnswer => {
  const block = Buffer.alloc(bytes, fill);
  return { block, nTtl: 0, wire: block, rcode: 0, kind: EntryKind.Positive, ttl, truncated: false };
};
const put = (c: AnswerCache, key: string, bytes: number, fill = 0) => c.store(key, packed(bytes, fill), 0, 100);
const entry = (storedAt: number, ttl: number, stale: number) =>
  new CacheEntry(EntryKind.Positive, 0, 0, 10, storedAt, ttl, storedAt + ttl + stale);

t.test('bounded by entries, least recently used goes first', async (t) => {
  const c = new AnswerCache({ maxEntries: 3, maxBytes: 1 << 20 });
  put(c, 'a', 10);
  put(c, 'b', 10);
  put(c, 'c', 10);
  t.ok(c.get('a'), 'touch a');
  put(c, 'd', 10);
  t.equal(c.size, 3);
  t.notOk(c.peek('b'), 'b was least recently used');
  t.ok(c.peek('a'));
  t.equal(c.stats().evictions, 1);
});

t.test('bounded by bytes', async (t) => {
  const c = new AnswerCache({ maxEntries: 1000, maxBytes: 10_000 });
  for (let i = 0; i < 20; i++) put(c, `k${i}`, 1000);
  t.ok(c.bytes <= 10_000, `bytes ${c.bytes} within the limit`);
  t.ok(c.size < 20 && c.size >= 8);
  t.equal(c.stats().evictions, 20 - c.size);
  t.equal(c.stats().entries, c.size);
});

t.test('adopt keeps the cache across a reload, resizing when limits change', async (t) => {
  const c = new AnswerCache({ maxEntries: 10, maxBytes: 1 << 20 });
  for (let i = 0; i < 10; i++) put(c, `k${i}`, 10);
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
  const e = entry(1000, 100, 50);
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

t.test('answers live in shared slabs; evicted ones free them, sparse ones are compacted', async (t) => {
  const c = new AnswerCache({ maxEntries: 100_000, maxBytes: 1 << 30 });
  for (let i = 0; i < 20_000; i++) put(c, `k${i}`, 100, i & 0xff);
  const s0 = c.stats();
  t.equal(s0.liveBytes, 20_000 * 100);
  t.ok(s0.slabBytes < 20_000 * 100 + 2 * 256 * 1024, `${s0.slabBytes} bytes of slabs for 2,000,000 bytes of answers`);
  const kept = c.peek('k7')!;
  // Delete 9 of every 10 answers: every slab is left sparse, so the next store compacts.
  for (let i = 0; i < 20_000; i++) if (i % 10 !== 0) c.delete(`k${i}`);
  put(c, 'trigger', 100, 1);
  const s1 = c.stats();
  t.equal(s1.liveBytes, 2_001 * 100);
  t.ok(s1.slabBytes <= 2 * s1.liveBytes + 2 * 256 * 1024, `after compaction ${s1.slabBytes} bytes of slabs for ${s1.liveBytes} live`);
  for (let i = 0; i < 20_000; i += 10) {
    const w = c.peek(`k${i}`)!.wire();
    if (w.length !== 100 || w[0] !== (i & 0xff) || w[99] !== (i & 0xff)) t.fail(`k${i} moved intact`);
  }
  t.same([...kept.wire()], new Array(100).fill(7), 'an entry that left the cache still reads its own bytes');
  c.clear();
  t.equal(c.stats().liveBytes, 0);
});

t.test('an answer larger than the whole cache is not kept, and replaces nothing stale', async (t) => {
  const c = new AnswerCache({ maxEntries: 10, maxBytes: 4096 });
  put(c, 'big', 100);
  t.ok(c.peek('big'));
  put(c, 'big', 5000);
  t.notOk(c.peek('big'), 'the old answer for the key is dropped too');
  t.equal(c.stats().liveBytes, 0);
});
