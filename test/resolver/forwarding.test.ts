import t from 'tap';
import { FakeUpstream, aRecord, soaRecord } from '../helpers/fake-upstream.js';
import { RCode } from '../../src/wire/constants.js';
import { Harness, AnswerSource, ttlOf } from '../helpers/resolver.js';

/** End to end over real sockets: Resolver + UpstreamGroup + fake upstream servers on 127.0.0.1. */

const spec = (_name: string, up: FakeUpstream) => ({ address: up.address, port: up.port });
const ip = (r: { msg: { answers?: unknown[] } }) => (r.msg.answers![0] as { data: string }).data;

async function upstreams(t: { teardown(fn: () => unknown): void }, n: number): Promise<FakeUpstream[]> {
  const list = await Promise.all(Array.from({ length: n }, () => FakeUpstream.start()));
  t.teardown(() => Promise.all(list.map((u) => u.close())));
  return list;
}

t.test('failover to the next upstream, then the answer comes from cache', async (t) => {
  const [dead, live] = await upstreams(t, 2);
  dead!.setDefault({ drop: true });
  live!.set('www.example.com.', { answer: [aRecord('www.example.com.', '192.0.2.80', 300)] });
  const h = await Harness.create({ forward: { upstreams: [spec('dead', dead!), spec('live', live!)], timeout: 0.15, attempts: 1 } }, null);
  t.teardown(() => h.close());
  const r = await h.ask('www.example.com');
  t.equal(r.rcode, 0);
  t.equal(ip(r), '192.0.2.80');
  t.equal(r.source, AnswerSource.Upstream);
  t.equal(dead!.count(), 1, 'the first server was tried and timed out');
  t.ok(r.ms >= 140, 'after its attempt timeout');
  t.equal(live!.count(), 1, 'the live one answered');
  h.clock.advance(10);
  const hit = await h.ask('WWW.example.com');
  t.equal(hit.source, AnswerSource.Cache);
  t.equal(ttlOf(hit.msg.answers![0]), 290);
  t.equal(live!.count(), 1, 'no new upstream query');
});

t.test('coalescing and negative caching over the wire', async (t) => {
  const [up] = await upstreams(t, 1);
  up!.set('slow.example.com.', { answer: [aRecord('slow.example.com.', '192.0.2.81', 300)], delayMs: 50 });
  up!.set('gone.example.com.', { rcode: RCode.NXDomain, authority: [soaRecord('example.com.', 900, 60)] });
  const h = await Harness.create({ forward: { upstreams: [spec('up', up!)] } }, null);
  t.teardown(() => h.close());
  const rs = await Promise.all([1, 2, 3, 4, 5, 6].map(() => h.ask('slow.example.com')));
  t.ok(rs.every((r) => ip(r) === '192.0.2.81'));
  t.equal(up!.count('slow.example.com.'), 1, 'six clients, one upstream query');
  const nx = await h.ask('gone.example.com');
  t.equal(nx.rcode, 3);
  t.equal(ttlOf(nx.msg.authorities![0]), 60);
  t.equal((await h.ask('gone.example.com')).source, AnswerSource.Cache);
  t.equal(up!.count('gone.example.com.'), 1);
});

t.test('a UDP truncation is retried over TCP by the group and the full answer cached', async (t) => {
  const [up] = await upstreams(t, 1);
  up!.set('big.example.com.', { answer: [aRecord('big.example.com.', '192.0.2.82', 300)], truncate: true });
  const h = await Harness.create({ forward: { upstreams: [spec('up', up!)] } }, null);
  t.teardown(() => h.close());
  const r = await h.ask('big.example.com');
  t.notOk(r.msg.flag_tc);
  t.equal(ip(r), '192.0.2.82');
  t.equal((await h.ask('big.example.com')).source, AnswerSource.Cache);
  t.equal(up!.count('big.example.com.', 'tcp'), 1);
});

t.test('upstream SERVFAIL is cached for servfailTtl; stale covers an outage', async (t) => {
  const [up] = await upstreams(t, 1);
  up!.set('broken.example.com.', { rcode: RCode.ServFail });
  up!.set('app.example.com.', { answer: [aRecord('app.example.com.', '192.0.2.83', 60)] });
  const h = await Harness.create({
    forward: { upstreams: [spec('up', up!)], timeout: 0.1, attempts: 1 },
    cache: { serveStale: { clientTimeout: 0.2 } },
  }, null, { resolutionTimeout: 0.5 });
  t.teardown(() => h.close());
  t.equal((await h.ask('broken.example.com')).rcode, 2);
  t.equal((await h.ask('broken.example.com')).source, AnswerSource.Cache);
  t.equal(up!.count('broken.example.com.'), 1, 'the failing name does not hammer the upstream');

  await h.ask('app.example.com');
  up!.set('app.example.com.', { drop: true });
  h.clock.advance(61);
  const stale = await h.ask('app.example.com');
  t.equal(stale.source, AnswerSource.Stale);
  t.equal(stale.ede, 3);
  t.equal(ttlOf(stale.msg.answers![0]), 30);
  t.equal(ip(stale), '192.0.2.83');
});

t.test('conditional forwarding reaches its own server', async (t) => {
  const [main, corp] = await upstreams(t, 2);
  main!.setDefault({ answer: [] });
  corp!.set('db.corp.example.', { answer: [aRecord('db.corp.example.', '10.9.9.9', 300)] });
  const h = await Harness.create({ forward: { upstreams: [spec('main', main!)], domains: [{ name: 'corp.example.', upstreams: [spec('corp', corp!)] }] } }, null);
  t.teardown(() => h.close());
  t.equal(ip(await h.ask('db.corp.example')), '10.9.9.9');
  t.equal(main!.count(), 0);
  t.equal(corp!.count(), 1);
});
