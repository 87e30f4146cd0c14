import t from 'tap';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { INSERT, recordParams, setupDatabase } from '../../src/querylog/sqlite/schema.js';
import { SqliteReader } from '../../src/querylog/sqlite/reader.js';
import { compileFilter, parseTime } from '../../src/querylog/search.js';
import { QueryLogError } from '../../src/querylog/errors.js';
import type { QueryRecord } from '../../src/querylog/record.js';

const T0 = Date.UTC(2024, 6, 1, 12);

function rec(i: number, over: Partial<QueryRecord> = {}): QueryRecord {
  return {
    time: T0 + i * 1000, client: `192.168.1.${10 + (i % 5)}`, port: 4000 + i, view: i % 2 === 0 ? 'lan' : 'guest', protocol: 'udp',
    qname: `host${i % 7}.example.com.`, qtype: i % 3 === 0 ? 28 : 1, rcode: 0, source: 'cache', upstream: null, durationMs: 0.5,
    answers: ['192.0.2.1'], translated: false, blockedBy: null, ede: null, ...over,
  };
}

/** A file with 300 ordinary answers and a few special ones. */
function seed(dir: string): string {
  const file = join(dir, 'q.sqlite');
  const db = new Database(file);
  setupDatabase(db);
  const ins = db.prepare(INSERT);
  db.transaction(() => {
    for (let i = 0; i < 300; i++) ins.run(recordParams(rec(i)));
    ins.run(recordParams(rec(300, { qtype: 1, client: '10.0.20.5', qname: 'Ads.Tracker.example.', source: 'blocklist', blockedBy: 'ads', rcode: 3, answers: [] })));
    ins.run(recordParams(rec(301, { client: 'fd00:1::23', qname: 'www.example.org.', source: 'upstream', upstream: 'udp://192.0.2.53:53', durationMs: 42 })));
    ins.run(recordParams(rec(302, { client: '10.0.20.6', qname: 'notexample.com.', qtype: 16 })));
  })();
  db.close();
  return file;
}

t.test('filters, newest first, paging', async (t) => {
  const r = new SqliteReader(seed(t.testdir()));
  t.teardown(() => r.close());
  const names = async (f: Parameters<SqliteReader['search']>[0], limit = 500): Promise<string[]> =>
    (await r.search(f, { limit })).records.map((x) => `${x.qname}@${x.client}`);

  const all = await r.search({}, { limit: 5 });
  t.same(all.records.map((x) => x.time), [302, 301, 300, 299, 298].map((i) => T0 + i * 1000), 'newest first');
  t.ok(all.next);
  const page2 = await r.search({}, { limit: 5, cursor: all.next });
  t.same(page2.records.map((x) => x.time), [297, 296, 295, 294, 293].map((i) => T0 + i * 1000), 'the next page continues where the first stopped');

  t.equal((await names({ client: '192.168.1.10' })).length, 60, 'an address');
  t.equal((await names({ client: '192.168.1.0/24' })).length, 300, 'a prefix');
  t.equal((await names({ client: '192.168.1.12/30' })).length, 180, 'a /30: .12–.14 of the five clients');
  t.same(await names({ client: '10.0.0.0/8' }), ['notexample.com.@10.0.20.6', 'Ads.Tracker.example.@10.0.20.5']);
  t.same(await names({ client: 'fd00::/8' }), ['www.example.org.@fd00:1::23'], 'IPv6 prefix');

  t.equal((await names({ name: 'example.com' })).length, 300, 'suffix: the name and below, not notexample.com');
  t.equal((await names({ name: 'host3.EXAMPLE.com.', nameMatch: 'exact' })).length, 43, 'exact, case-insensitive');
  t.same(await names({ name: 'tracker', nameMatch: 'substring' }), ['Ads.Tracker.example.@10.0.20.5'], 'substring');
  t.same(await names({ name: 'notexample.com', nameMatch: 'substring' }), ['notexample.com.@10.0.20.6']);

  t.equal((await names({ qtype: 'AAAA' })).length, 100);
  t.same(await names({ qtype: 'TXT' }), ['notexample.com.@10.0.20.6']);
  t.same(await names({ rcode: 'nxdomain' }), ['Ads.Tracker.example.@10.0.20.5']);
  t.same(await names({ source: 'blocklist' }), ['Ads.Tracker.example.@10.0.20.5']);
  t.same(await names({ blocked: true }), ['Ads.Tracker.example.@10.0.20.5']);
  t.equal((await names({ view: 'lan' })).length, 152);
  t.equal((await names({ from: T0 + 290_000, to: T0 + 300_000 })).length, 10, 'time range, end exclusive');
  t.equal((await names({ client: '192.168.1.0/24', name: 'host1.example.com', nameMatch: 'exact', view: 'guest' })).length, 22, 'combined');

  const blocked = (await r.search({ blocked: true })).records[0]!;
  t.match(blocked, { blockedBy: 'ads', source: 'blocklist', answers: [], rcode: 3 });
});

t.test('aggregates over a window', async (t) => {
  const r = new SqliteReader(seed(t.testdir()));
  t.teardown(() => r.close());
  const a = await r.aggregate({ from: T0, to: T0 + 3600_000 }, 3);
  t.equal(a.total, 303);
  t.same(a.perMinute.map((m) => m.count), [60, 60, 60, 60, 60, 3], 'queries per minute');
  t.same(a.sources[0], { source: 'cache', count: 301 }, 'answer sources, most first');
  t.same(a.sources.slice(1).map((x) => x.source).sort(), ['blocklist', 'upstream']);
  t.equal(a.topNames.length, 3);
  t.match(a.topNames[0], { name: /^host\d\.example\.com\.$/, count: 43 });
  t.same(a.topClients.map((c) => c.count), [60, 60, 60]);
  t.same(a.topBlocked, [{ name: 'ads.tracker.example.', count: 1 }]);
  t.same(a.upstreams, [{ upstream: 'udp://192.0.2.53:53', count: 1, avgMs: 42, maxMs: 42 }]);
  t.match(a.slowest[0], { name: 'www.example.org.', durationMs: 42 });
});

t.test('bad input is a clear error', async (t) => {
  const err = (fn: () => unknown): string => {
    try { fn(); } catch (e) { t.type(e, QueryLogError); return (e as Error).message; }
    return 'accepted';
  };
  t.match(err(() => compileFilter({ client: '192.168.1.0/33' })), /prefix length must be 0\.\.32/);
  t.match(err(() => compileFilter({ client: '192.168.300.0/24' })), /not an address or prefix/);
  t.match(err(() => compileFilter({ qtype: 'AAAAA' })), /not a record type/);
  t.match(err(() => compileFilter({ source: 'nope' })), /not an answer source/);
  t.match(err(() => compileFilter({ from: 10, to: 5 })), /ends before it starts/);
  t.match(err(() => parseTime('yesterday')), /not a time/);
  t.equal(parseTime('1h', 10_000_000), 10_000_000 - 3600_000);
  t.equal(parseTime('2024-07-01T12:00:00Z'), T0);
  t.equal(parseTime('1719835200'), T0, 'Unix seconds');
  t.throws(() => new SqliteReader(join(t.testdir(), 'absent.sqlite')), /does not exist/);
});
