import t from 'tap';
import { AnswerSource } from '../../src/pipeline/context.js';
import { buildChain, hairpinYaml } from '../fixtures/views/chain.js';
import { A, CNAME, answers, decode, query } from '../fixtures/views/setup.js';

function edeOf(wire: Buffer): number {
  for (const a of decode(wire).additionals ?? []) {
    for (const o of ((a as { options?: { code: number; data?: Buffer }[] }).options ?? [])) if (o.code === 15 && o.data) return o.data.readUInt16BE(0);
  }
  return -1;
}
import { QueryView } from '../../src/wire/query-view.js';
import { addressToReverseName } from '../../src/view/reverse-name.js';

const LAN = '192.168.1.7';
const K8S = '10.0.20.5';

const table = {
  'app.example.net/A': [A('app.example.net', '203.0.113.10', 3600)],
  'cdn.example.com/A': [CNAME('cdn.example.com', 'app.example.net', 600), A('app.example.net', '198.51.100.99', 600)],
  '10.113.0.203.in-addr.arpa/PTR': [{ type: 'PTR' as const, name: '10.113.0.203.in-addr.arpa', ttl: 1800, data: 'app.example.net' }],
};

const ttl = (wire: Buffer, i = 0) => (decode(wire).answers![i] as { ttl: number }).ttl;

t.test('hairpin: LAN gets the internal address, k8s the public one, from one cache entry', async (t) => {
  const c = await buildChain(hairpinYaml(), table);
  t.teardown(() => c.close());
  const lan = await c.ask('app.example.net', 'A', LAN);
  t.same(answers(lan.wire), ['app.example.net A 10.0.20.200']);
  t.equal(lan.source, AnswerSource.Upstream);
  t.equal(ttl(lan.wire), 3600, 'TTL unchanged');
  const k8s = await c.ask('app.example.net', 'A', K8S);
  t.same(answers(k8s.wire), ['app.example.net A 203.0.113.10']);
  t.equal(k8s.source, AnswerSource.Cache);
  const again = await c.ask('app.example.net', 'A', LAN);
  t.same(answers(again.wire), ['app.example.net A 10.0.20.200']);
  t.equal(again.source, AnswerSource.Cache);
  t.same(c.upstream.asked, ['app.example.net/A'], 'one upstream query for all of them');
  const q = new QueryView();
  q.parse(query('app.example.net', 'A'));
  const entry = c.resolver.cache.peek(q.key())!;
  t.ok(entry.wire().includes(Buffer.from([203, 0, 113, 10])), 'the cache holds the public answer');
  t.notOk(entry.wire().includes(Buffer.from([10, 0, 20, 200])));
  t.equal(c.views.get('lan')!.counters.translatedAnswers, 2);
});

t.test('translateReverse: PTR of the internal address is the external one\'s, from upstream', async (t) => {
  const c = await buildChain(hairpinYaml(), table);
  t.teardown(() => c.close());
  const r = await c.ask('200.20.0.10.IN-ADDR.arpa', 'PTR', LAN);
  const msg = decode(r.wire);
  t.equal(msg.rcode, 'NOERROR');
  t.equal(msg.questions![0]!.name, '200.20.0.10.IN-ADDR.arpa', 'the client\'s question, letter case kept');
  t.same(answers(r.wire), ['200.20.0.10.IN-ADDR.arpa PTR app.example.net'], 'owner is the question name');
  t.equal(ttl(r.wire), 1800, 'the external record\'s own TTL');
  t.same(c.upstream.asked, ['10.113.0.203.in-addr.arpa/PTR']);
  const cached = await c.ask('200.20.0.10.in-addr.arpa', 'PTR', LAN);
  t.equal(cached.source, AnswerSource.Cache);
  t.same(answers(cached.wire), ['200.20.0.10.in-addr.arpa PTR app.example.net']);
  const direct = await c.ask('10.113.0.203.in-addr.arpa', 'PTR', K8S);
  t.equal(direct.source, AnswerSource.Cache, 'same cache entry as the external name');
  const k8s = await c.ask('200.20.0.10.in-addr.arpa', 'PTR', K8S);
  t.equal(decode(k8s.wire).rcode, 'NXDOMAIN', 'k8s view does not translate: asked as is');
  t.same(c.upstream.asked, ['10.113.0.203.in-addr.arpa/PTR', '200.20.0.10.in-addr.arpa/PTR']);
  const other = await c.ask('201.20.0.10.in-addr.arpa', 'PTR', LAN);
  t.equal(decode(other.wire).questions![0]!.name, '201.20.0.10.in-addr.arpa', 'no rule covers .201');
  t.equal(c.upstream.asked.at(-1), '201.20.0.10.in-addr.arpa/PTR');
  t.equal(c.views.get('lan')!.counters.reverseRewrites, 2);
});

t.test('translateReverse from a local zone, NXDOMAIN and SERVFAIL keep the client\'s question', async (t) => {
  const c = await buildChain(undefined, {});
  t.teardown(() => c.close());
  const r = await c.ask('50.1.168.192.in-addr.arpa', 'PTR', LAN);
  t.equal(r.source, AnswerSource.Authoritative);
  t.same(answers(r.wire), ['50.1.168.192.in-addr.arpa PTR app.example.net']);
  t.equal(ttl(r.wire), 900);
  const nx = decode((await c.ask('70.1.168.192.in-addr.arpa', 'PTR', LAN)).wire);
  t.equal(nx.rcode, 'NXDOMAIN', '203.0.113.22 has no PTR');
  t.equal(nx.questions![0]!.name, '70.1.168.192.in-addr.arpa');
  t.equal(nx.authorities![0]!.name, '113.0.203.in-addr.arpa', 'the SOA of the zone that answered');
  c.upstream.fail = true;
  const internal = addressToReverseName('fd00:1::10').slice(0, -1);
  const v6 = decode((await c.ask(internal, 'PTR', 'fd00:1::7')).wire);
  t.equal(v6.rcode, 'SERVFAIL');
  t.equal(v6.questions![0]!.name, internal);
  t.same(c.upstream.asked, [addressToReverseName('2001:db8:1::10').slice(0, -1) + '/PTR'], 'asked for 2001:db8:1::10');
});

t.test('CNAME into a local zone: the rest of the chain is the view\'s own data', async (t) => {
  const c = await buildChain(undefined, table);
  t.teardown(() => c.close());
  const lan = await c.ask('cdn.example.com', 'A', LAN);
  t.same(answers(lan.wire), ['cdn.example.com CNAME app.example.net', 'app.example.net CNAME example.net', 'example.net A 192.168.1.50']);
  const k8s = await c.ask('cdn.example.com', 'A', K8S);
  t.equal(k8s.source, AnswerSource.Cache);
  t.same(answers(k8s.wire), ['cdn.example.com CNAME app.example.net', 'app.example.net A 203.0.113.10'], 'the public zone we serve, never 198.51.100.99');
  t.same(c.upstream.asked, ['cdn.example.com/A']);
});

t.test('fallthrough names are forwarded, translated on the way out', async (t) => {
  const c = await buildChain(undefined, { 'jira.corp.example/A': [A('jira.corp.example', '203.0.113.10')] });
  t.teardown(() => c.close());
  t.same(answers((await c.ask('wiki.corp.example', 'A', LAN)).wire), ['wiki.corp.example A 192.168.1.80']);
  const r = await c.ask('jira.corp.example', 'A', LAN);
  t.equal(r.source, AnswerSource.Upstream);
  t.same(answers(r.wire), ['jira.corp.example A 192.168.1.50']);
});

t.test('rebinding runs on the upstream answer, translation after it: translated answers are never blocked', async (t) => {
  const c = await buildChain(hairpinYaml(), { ...table, 'evil.example.com/A': [A('evil.example.com', '10.0.20.200')] });
  t.teardown(() => c.close());
  const lan = await c.ask('app.example.net', 'A', LAN);
  t.same(answers(lan.wire), ['app.example.net A 10.0.20.200'], 'private after translation, delivered');
  const evil = await c.ask('evil.example.com', 'A', LAN);
  t.equal(decode(evil.wire).rcode, 'NOERROR');
  t.same(answers(evil.wire), [], 'the same private address from upstream is blocked');
  t.equal(edeOf(evil.wire), 15);
});
