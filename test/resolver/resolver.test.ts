import t from 'tap';
import { Harness, ScriptedUpstream, AnswerSource, a, soa, servers, ttlOf } from '../helpers/resolver.js';

const base = { forward: { upstreams: servers('main') } };

t.test('a cached answer counts its TTL down and echoes ID and question case', async (t) => {
  const up = new ScriptedUpstream(() => ({ answers: [a('www.example.com', '192.0.2.1', 300)] }));
  const h = await Harness.create(base, { main: up });
  t.teardown(() => h.close());

  const first = await h.ask('www.example.com', 'A', { id: 0x0101 });
  t.equal(first.source, AnswerSource.Upstream);
  t.equal(first.msg.id, 0x0101);
  t.equal(ttlOf(first.msg.answers![0]), 300);
  t.ok(first.msg.flag_ra, 'RA set');
  t.notOk(first.msg.flag_aa, 'forwarded answers are not authoritative');

  h.clock.advance(100);
  const hit = await h.ask('WwW.ExAmPlE.cOm', 'A', { id: 0x0202 });
  t.equal(hit.source, AnswerSource.Cache);
  t.equal(hit.msg.id, 0x0202, 'client ID written');
  t.equal(hit.msg.questions![0]!.name, 'WwW.ExAmPlE.cOm', 'question case echoed');
  t.equal(ttlOf(hit.msg.answers![0]), 200, 'TTL counted down by the age');
  t.equal((hit.msg.answers![0] as { data: string }).data, '192.0.2.1');
  t.ok(hit.msg.flag_rd && hit.msg.flag_ra);

  const nord = await h.ask('www.example.com', 'A', { rd: false });
  t.notOk(nord.msg.flag_rd, 'RD copied from the query');
  t.equal(up.count(), 1, 'only the first query went upstream');
  t.equal(h.resolver.stats().hits, 2);
  t.equal(h.resolver.stats().misses, 1);
});

t.test('TTLs are clamped to minTtl and maxTtl', async (t) => {
  const up = new ScriptedUpstream((q) => ({
    answers: [a(q.qname, '192.0.2.9', q.qname.startsWith('short') ? 5 : 9_999_999)],
  }));
  const h = await Harness.create({ ...base, cache: { minTtl: 60, maxTtl: 86_400 } }, { main: up });
  t.teardown(() => h.close());
  t.equal(ttlOf((await h.ask('short.example.com')).msg.answers![0]), 60);
  t.equal(ttlOf((await h.ask('long.example.com')).msg.answers![0]), 86_400);
  h.clock.advance(59);
  t.equal((await h.ask('short.example.com')).source, AnswerSource.Cache);
  h.clock.advance(1);
  const r = await h.ask('short.example.com');
  t.equal(r.source, AnswerSource.Upstream, 'fetched again after minTtl');
});

t.test('NXDOMAIN and NODATA are cached by the SOA rule; without an SOA they are not', async (t) => {
  const up = new ScriptedUpstream((q) => {
    if (q.qname.startsWith('nx.')) return { rcode: 3, authorities: [soa('example.com', 3600, 120)] };
    if (q.qname.startsWith('nodata.')) return { authorities: [soa('example.com', 90, 86_400)] };
    if (q.qname.startsWith('big.')) return { rcode: 3, authorities: [soa('example.com', 86_400, 86_400)] };
    return { rcode: 3 }; // no SOA
  });
  const h = await Harness.create({ ...base, cache: { negativeMaxTtl: 10_800 } }, { main: up });
  t.teardown(() => h.close());

  const nx = await h.ask('nx.example.com');
  t.equal(nx.rcode, 3);
  t.equal(ttlOf(nx.msg.authorities![0]), 120, 'negative TTL = min(SOA TTL, SOA MINIMUM)');
  h.clock.advance(119);
  const nx2 = await h.ask('nx.example.com');
  t.equal(nx2.source, AnswerSource.Cache);
  t.equal(nx2.rcode, 3);
  t.equal(ttlOf(nx2.msg.authorities![0]), 1);
  h.clock.advance(1);
  t.equal((await h.ask('nx.example.com')).source, AnswerSource.Upstream, 'expired after 120 s');

  const nodata = await h.ask('nodata.example.com', 'AAAA');
  t.equal(nodata.rcode, 0);
  t.equal(nodata.msg.answers!.length, 0);
  t.equal(ttlOf(nodata.msg.authorities![0]), 90, 'SOA TTL smaller than MINIMUM wins');
  t.equal((await h.ask('nodata.example.com', 'AAAA')).source, AnswerSource.Cache);

  t.equal(ttlOf((await h.ask('big.example.com')).msg.authorities![0]), 10_800, 'capped by negativeMaxTtl');

  const bare = await h.ask('nosoa.example.com');
  t.equal(bare.rcode, 3);
  t.equal((await h.ask('nosoa.example.com')).source, AnswerSource.Upstream, 'no SOA: not cached');
  t.equal(up.count('nosoa.example.com.'), 2);
});

t.test('concurrent misses for one key share one upstream query', async (t) => {
  const up = new ScriptedUpstream(() => ({ answers: [a('busy.example.com', '192.0.2.7', 300)], delayMs: 30 }));
  const h = await Harness.create(base, { main: up });
  t.teardown(() => h.close());
  const names = ['busy.example.com', 'BUSY.example.com', 'Busy.Example.Com', 'busy.EXAMPLE.com', 'bUsY.example.com'];
  const replies = await Promise.all(names.map((n, i) => h.ask(n, 'A', { id: 100 + i })));
  t.equal(up.count(), 1, 'one upstream query');
  t.equal(h.resolver.stats().coalesced, names.length - 1);
  replies.forEach((r, i) => {
    t.equal(r.msg.id, 100 + i, 'each waiter gets its own ID');
    t.equal(r.msg.questions![0]!.name, names[i], 'and its own question case');
    t.equal(r.source, AnswerSource.Upstream);
  });
  const other = await Promise.all([h.ask('busy.example.com', 'AAAA'), h.ask('busy.example.com', 'A', { do: true })]);
  t.equal(up.count(), 3, 'other type and DO are other keys');
  t.equal(other.length, 2);
});

t.test('a hit in the last 10% of the TTL starts one background refresh', async (t) => {
  let ip = '192.0.2.1';
  const up = new ScriptedUpstream(() => ({ answers: [a('pre.example.com', ip, 100)], delayMs: 20 }));
  const h = await Harness.create(base, { main: up });
  t.teardown(() => h.close());
  await h.ask('pre.example.com');
  h.clock.advance(85);
  t.equal((await h.ask('pre.example.com')).source, AnswerSource.Cache);
  t.equal(up.count(), 1, 'at 85% no prefetch');
  ip = '192.0.2.2';
  h.clock.advance(5);
  const hits = await Promise.all([h.ask('pre.example.com'), h.ask('pre.example.com'), h.ask('pre.example.com')]);
  for (const r of hits) {
    t.equal(r.source, AnswerSource.Cache, 'the hit is answered from cache at once');
    t.equal((r.msg.answers![0] as { data: string }).data, '192.0.2.1');
  }
  t.equal(up.count(), 2, 'one prefetch for three hits');
  t.equal(h.resolver.stats().prefetches, 1);
  await new Promise((r) => setTimeout(r, 60));
  const after = await h.ask('pre.example.com');
  t.equal(after.source, AnswerSource.Cache);
  t.equal((after.msg.answers![0] as { data: string }).data, '192.0.2.2', 'the refreshed answer replaced the old one');
  t.equal(ttlOf(after.msg.answers![0]), 100);
});

t.test('resolution failures are cached briefly (RFC 9520)', async (t) => {
  let mode: 'fail' | 'ok' = 'fail';
  const up = new ScriptedUpstream(() => (mode === 'fail' ? { fail: 'failed' } : { answers: [a('sf.example.com', '192.0.2.3', 300)] }));
  const h = await Harness.create({ ...base, cache: { servfailTtl: 5 } }, { main: up });
  t.teardown(() => h.close());
  const r1 = await h.ask('sf.example.com');
  t.equal(r1.rcode, 2);
  t.equal(r1.ede, 23, 'EDE Network Error');
  t.ok(r1.msg.flag_ra, 'RA set on the SERVFAIL');
  t.equal(r1.msg.questions![0]!.name, 'sf.example.com');
  mode = 'ok';
  h.clock.advance(4);
  const r2 = await h.ask('sf.example.com');
  t.equal(r2.rcode, 2, 'still SERVFAIL inside the window');
  t.equal(r2.source, AnswerSource.Cache);
  t.equal(up.count(), 1, 'without asking upstream');
  t.equal(h.resolver.stats().failureHits, 1);
  h.clock.advance(1);
  const r3 = await h.ask('sf.example.com');
  t.equal(r3.rcode, 0);
  t.equal(up.count(), 2);

  up.script = () => ({ rcode: 2 });
  const r4 = await h.ask('upstream-servfail.example.com');
  t.equal(r4.rcode, 2, 'an upstream SERVFAIL answer is a failure too');
  t.equal((await h.ask('upstream-servfail.example.com')).source, AnswerSource.Cache);
  t.equal(up.count('upstream-servfail.example.com.'), 1);
});

t.test('truncated answers are passed on but never cached', async (t) => {
  const up = new ScriptedUpstream(() => ({ answers: [a('tc.example.com', '192.0.2.4', 300)], tc: true }));
  const h = await Harness.create(base, { main: up });
  t.teardown(() => h.close());
  const r = await h.ask('tc.example.com');
  t.ok(r.msg.flag_tc, 'TC passed on so the client retries over TCP');
  t.equal((await h.ask('tc.example.com')).source, AnswerSource.Upstream);
  t.equal(up.count(), 2);
});

t.test('local NXDOMAIN names never reach an upstream', async (t) => {
  const up = new ScriptedUpstream(() => ({ answers: [a('x', '192.0.2.5', 300)] }));
  const h = await Harness.create({ forward: { ...base.forward, nxdomain: ['blocked.example', 'wpad'] } }, { main: up });
  t.teardown(() => h.close());
  for (const n of ['blocked.example', 'a.b.BLOCKED.example', 'wpad']) {
    const r = await h.ask(n);
    t.equal(r.rcode, 3, `${n} NXDOMAIN`);
    t.equal(r.source, AnswerSource.Local);
    const s = r.msg.authorities![0]!;
    t.equal(s.type, 'SOA', 'synthetic SOA so it is negatively cacheable');
    t.equal(ttlOf(s), 300);
  }
  t.equal(up.count(), 0);
  t.equal((await h.ask('notblocked.example')).rcode, 0, 'a sibling name is forwarded');
  t.equal(up.count(), 1);
});

t.test('conditional forwarding sends a domain to its own upstream group', async (t) => {
  const main = new ScriptedUpstream((q) => ({ answers: [a(q.qname, '192.0.2.10', 300)] }));
  const corp = new ScriptedUpstream((q) => ({ answers: [a(q.qname, '10.1.1.1', 300)] }));
  const lab = new ScriptedUpstream((q) => ({ answers: [a(q.qname, '10.2.2.2', 300)] }));
  const h = await Harness.create({
    forward: {
      ...base.forward,
      domains: [{ name: 'corp.example', upstreams: servers('corp') }, { name: 'lab.corp.example.', upstreams: servers('lab') }],
    },
  }, { main, corp, lab });
  t.teardown(() => h.close());
  t.equal((await h.ask('Host.CORP.example').then((r) => r.msg.answers![0] as { data: string })).data, '10.1.1.1');
  t.equal((await h.ask('x.lab.corp.example').then((r) => r.msg.answers![0] as { data: string })).data, '10.2.2.2', 'longest match wins');
  t.equal((await h.ask('www.example.org').then((r) => r.msg.answers![0] as { data: string })).data, '192.0.2.10');
  t.equal((await h.ask('notcorp.example').then((r) => r.msg.answers![0] as { data: string })).data, '192.0.2.10', 'label boundary respected');
  t.same([main.count(), corp.count(), lab.count()], [2, 1, 1]);
});

t.test('recursion is refused outside the allow list, and without any upstream', async (t) => {
  const up = new ScriptedUpstream(() => ({ answers: [a('x', '192.0.2.5', 300)] }));
  const h = await Harness.create({ ...base, recursion: { allow: ['192.168.0.0/16', '::1/128'] } }, { main: up });
  t.teardown(() => h.close());
  const out = await h.ask('www.example.com', 'A', { address: '203.0.113.9' });
  t.equal(out.rcode, 5);
  t.equal(out.source, AnswerSource.Refused);
  t.equal(out.ede, 18, 'EDE Prohibited');
  t.equal((await h.ask('www.example.com', 'A', { address: '::ffff:192.168.4.4' })).rcode, 0);
  t.equal((await h.ask('www.example.com', 'A', { address: '127.0.0.1' })).rcode, 5, 'loopback not in this list');
  t.equal(up.count(), 1);

  const none = await Harness.create({}, {});
  t.teardown(() => none.close());
  const r = await none.ask('www.example.com');
  t.equal(r.rcode, 5, 'no upstream for the name: REFUSED');
});

t.test('a reload keeps the cache; close lets queries in flight finish', async (t) => {
  const up = new ScriptedUpstream((q) => ({ answers: [a(q.qname, '192.0.2.20', 300)], delayMs: q.qname.startsWith('slow') ? 80 : 0 }));
  const h1 = await Harness.create(base, { main: up });
  await h1.ask('kept.example.com');
  const pending = h1.ask('slow.example.com');
  const h2 = await Harness.create(base, { main: up }, { previous: h1 });
  t.teardown(() => h2.close());
  t.equal(h2.resolver.cache, h1.resolver.cache, 'same cache object with unchanged limits');
  const closed = h1.close();
  const late = await pending;
  t.equal(late.rcode, 0, 'the query in flight was still answered');
  await closed;
  t.ok(up.closed, 'upstream groups closed after draining');
  t.equal((await h2.ask('kept.example.com')).source, AnswerSource.Cache, 'answer from before the reload');
  t.equal((await h2.ask('slow.example.com')).source, AnswerSource.Cache, 'an answer landing during the drain was kept');
  t.equal(up.count(), 2);

  const h3 = await Harness.create({ ...base, cache: { maxEntries: 1 } }, { main: up }, { previous: h2 });
  t.teardown(() => h3.close());
  t.not(h3.resolver.cache, h2.resolver.cache, 'new limits: a resized copy');
  t.equal(h3.resolver.stats().entries, 1);
});

t.test('upstream answers pass the rebinding filter before they are cached', async (t) => {
  const up = new ScriptedUpstream((q) => q.qname.startsWith('mixed')
    ? { answers: [a(q.qname, '192.168.1.10', 300), a(q.qname, '198.51.100.7', 300)] }
    : { answers: [a(q.qname, '192.168.1.10', 300)] });
  const h = await Harness.create({ ...base, rebinding: { privateDomains: ['lan.'], privateNetworks: ['192.168.0.0/16'] } }, { main: up });
  t.teardown(() => h.close());
  const mixed = await h.ask('mixed.example.com');
  t.same(mixed.msg.answers!.map((r) => (r as { data: string }).data), ['198.51.100.7'], 'private address removed');
  const blocked = await h.ask('evil.example.com');
  t.equal(blocked.rcode, 0);
  t.equal(blocked.msg.answers!.length, 0, 'nothing left: NODATA');
  t.equal(blocked.ede, 15, 'EDE Blocked');
  t.equal(blocked.source, AnswerSource.Blocked, 'counted as blocked');
  const again = await h.ask('evil.example.com');
  t.equal(again.source, AnswerSource.Blocked, 'the blocked answer is cached (up.count below) and still counted as blocked');
  t.equal(again.ede, 15, 'with its EDE');
  t.equal(again.msg.questions![0]!.name, 'evil.example.com');
  t.equal((await h.ask('nas.lan')).msg.answers!.length, 1, 'private domains keep private addresses');
  t.equal(up.count(), 3);
});
