import t, { type Test } from 'tap';
import { RCode, RRType } from '../../../src/wire/constants.js';
import {
  UpstreamError, UpstreamGroup, type UpstreamGroupOptions, type UpstreamQuestion,
} from '../../../src/resolver/upstream/index.js';
import { aRecord, answerAddresses, FakeUpstream, rcodeOfWire } from '../../helpers/fake-upstream.js';

const q = (qname: string): UpstreamQuestion => ({ qname, qtype: RRType.A, qclass: 1, do: false, cd: false });

/** Two fake servers A and B (in that order) behind one UDP group. */
async function pair(t: Test, opts: Partial<UpstreamGroupOptions> = {}) {
  const a = await FakeUpstream.start();
  const b = await FakeUpstream.start();
  const g = new UpstreamGroup([
    { name: 'A', address: a.address, port: a.port, protocol: 'udp' },
    { name: 'B', address: b.address, port: b.port, protocol: 'udp' },
  ], { timeoutMs: 150, attempts: 1, ...opts });
  t.teardown(async () => { await g.close(); await a.close(); await b.close(); });
  const stat = (name: 'A' | 'B') => g.stats().find((s) => s.name === name)!;
  return { a, b, g, stat };
}

const failure = (p: Promise<unknown>): Promise<UpstreamError> =>
  p.then(() => { throw new Error('expected a rejection'); }, (e: UpstreamError) => e);

t.test('failover to the next server when the first times out', async (t) => {
  const { a, b, g, stat } = await pair(t);
  a.set('x.example.', { drop: true });
  b.set('x.example.', { answer: [aRecord('x.example.', '192.0.2.20')] });
  const start = performance.now();
  const r = await g.query(q('x.example.'), 2000);
  const took = performance.now() - start;
  t.equal(r.upstream, 'B');
  t.same(answerAddresses(r.wire), ['192.0.2.20']);
  t.ok(took >= 140 && took < 1000, `answered after A's timeout (${Math.round(took)} ms)`);
  t.match(stat('A'), { queries: 1, timeouts: 1, healthy: 1 });
  t.match(stat('B'), { queries: 1, timeouts: 0 });
});

t.test('the server with the lower smoothed RTT is asked first', async (t) => {
  const { a, b, g, stat } = await pair(t);
  a.setDefault({ delayMs: 60 });
  b.setDefault({});
  const used: string[] = [];
  for (let i = 0; i < 12; i++) used.push((await g.query(q(`s${i}.example.`), 2000)).upstream);
  // the first two queries measure both servers; then the fast one wins
  t.same(used.slice(0, 2).sort(), ['A', 'B'], 'each server is measured once');
  t.same(used.slice(2), Array(10).fill('B'));
  t.ok(stat('A').srttMs >= 40, `A srtt ${stat('A').srttMs}`);
  t.ok(stat('B').srttMs < stat('A').srttMs);
  t.ok(stat('A').rttSum >= 55);
});

t.test('a penalised server is tried again once its SRTT has decayed', async (t) => {
  const { a, b, g } = await pair(t, { timeoutMs: 40 });
  a.set('once.example.', { drop: true });
  b.setDefault({ delayMs: 5 });
  a.setDefault({});
  await g.query(q('once.example.'), 2000); // A times out: SRTT penalised to the timeout
  const used: string[] = [];
  for (let i = 0; i < 300 && !used.includes('A'); i++) used.push((await g.query(q(`d${i}.example.`), 2000)).upstream);
  t.ok(used.includes('A'), `A asked again after ${used.length} queries`);
  t.ok(used.length > 20, 'but not at once');
});

t.test('health: down after N failures in a row, skipped, probed after the back-off, up again', async (t) => {
  let clock = 1000;
  const logs: string[] = [];
  const logger = { warn: (o: object, m: string) => logs.push(`warn ${m} ${JSON.stringify(o)}`), info: (o: object, m: string) => logs.push(`info ${m} ${JSON.stringify(o)}`) };
  const { a, b, g, stat } = await pair(t, { downAfter: 2, backoffMs: 5000, now: () => clock, logger });
  // A never answers "fail.", B says SERVFAIL: every query reaches A whatever the order
  a.set('fail.example.', { drop: true });
  b.set('fail.example.', { rcode: RCode.ServFail });
  a.setDefault({ answer: [aRecord('ok.example.', '192.0.2.30')] });
  b.setDefault({ answer: [aRecord('ok.example.', '192.0.2.31')] });
  for (let i = 0; i < 2; i++) {
    const r = await g.query(q('fail.example.'), 2000);
    t.equal(rcodeOfWire(r.wire), RCode.ServFail, 'SERVFAIL is returned as a result');
  }
  t.equal(stat('A').healthy, 0, 'A is down');
  t.equal(stat('B').healthy, 1, "SERVFAIL does not count against B's health");
  const before = a.count();
  for (let i = 0; i < 3; i++) t.equal((await g.query(q('ok.example.'), 2000)).upstream, 'B');
  t.equal(a.count(), before, 'a down server is skipped');

  clock += 5001; // back-off over: the next query also probes A in the background
  t.equal((await g.query(q('ok.example.'), 2000)).upstream, 'B', 'the client does not wait for the probe');
  await new Promise((r) => setTimeout(r, 50));
  t.equal(a.count(), before + 1, 'one probe went to A');
  t.equal(stat('A').healthy, 1, 'A is up again');
  t.same(logs, ['warn upstream marked down {"upstream":"A","failures":2}', 'info upstream up again {"upstream":"A"}']);
});

t.test('a failed probe doubles the back-off', async (t) => {
  let clock = 0;
  const { a, g, stat } = await pair(t, { downAfter: 1, backoffMs: 1000, now: () => clock });
  a.setDefault({ drop: true });
  await g.query(q('p.example.'), 2000).catch(() => undefined);
  t.equal(stat('A').healthy, 0);
  clock = 1001;
  await g.query(q('p.example.'), 2000).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 200)); // the probe times out
  t.equal(a.count(), 2);
  clock = 2500; // < 1001 + 2000
  await g.query(q('p.example.'), 2000).catch(() => undefined);
  t.equal(a.count(), 2, 'no probe before the doubled back-off');
  clock = 3100;
  await g.query(q('p.example.'), 2000).catch(() => undefined);
  t.equal(a.count(), 3, 'probed again after it');
});

t.test('when every server is down they are still tried', async (t) => {
  const { a, b, g, stat } = await pair(t, { downAfter: 1 });
  a.setDefault({ rcode: RCode.Refused });
  b.setDefault({ rcode: RCode.Refused });
  const e = await failure(g.query(q('r.example.'), 2000));
  t.equal(e.code, 'HZ_ERR_UPSTREAM_FAILED', 'REFUSED everywhere is a failure, not a result');
  t.match(e.reasons, [/REFUSED/, /REFUSED/]);
  t.equal(stat('A').healthy + stat('B').healthy, 0);
  b.setDefault({ answer: [aRecord('r.example.', '192.0.2.40')] });
  t.equal((await g.query(q('r.example.'), 2000)).upstream, 'B');
  t.equal(stat('B').healthy, 1, 'an answer marks the server up');
});

t.test('SERVFAIL fails over; it is returned only when nothing better came', async (t) => {
  const { a, b, g, stat } = await pair(t);
  a.set('sf.example.', { rcode: RCode.ServFail });
  b.set('sf.example.', { answer: [aRecord('sf.example.', '192.0.2.50')] });
  const r1 = await g.query(q('sf.example.'), 2000);
  t.equal(r1.upstream, 'B');
  t.equal(rcodeOfWire(r1.wire), RCode.NoError);

  a.set('sf2.example.', { rcode: RCode.ServFail });
  b.set('sf2.example.', { drop: true });
  const r2 = await g.query(q('sf2.example.'), 2000);
  t.equal(r2.upstream, 'A');
  t.equal(rcodeOfWire(r2.wire), RCode.ServFail, 'SERVFAIL beats a timeout');
  t.ok(stat('A').failures >= 1);
});

t.test('NXDOMAIN is an answer, not a reason to fail over', async (t) => {
  const { a, b, g } = await pair(t);
  a.setDefault({ rcode: RCode.NXDomain });
  b.setDefault({ rcode: RCode.NXDomain });
  const r = await g.query(q('nx.example.'), 2000);
  t.equal(rcodeOfWire(r.wire), RCode.NXDomain);
  t.equal(a.count() + b.count(), 1);
});

t.test('the budget bounds the whole query; attempts repeat the server list', async (t) => {
  const { a, b, g } = await pair(t, { timeoutMs: 1000, attempts: 2 });
  a.setDefault({ drop: true });
  b.setDefault({ drop: true });
  let start = performance.now();
  const e = await failure(g.query(q('slow.example.'), 120));
  const took = performance.now() - start;
  t.equal(e.code, 'HZ_ERR_UPSTREAM_TIMEOUT');
  t.ok(took >= 110 && took < 300, `gave up with the budget (${Math.round(took)} ms)`);
  t.equal(a.count() + b.count(), 1, 'one attempt fits the budget');

  a.received.length = 0;
  b.received.length = 0;
  const g2 = new UpstreamGroup([{ name: 'A', address: a.address, port: a.port, protocol: 'udp' }], { timeoutMs: 80, attempts: 3 });
  t.teardown(() => g2.close());
  start = performance.now();
  const e2 = await failure(g2.query(q('slow.example.'), 5000));
  t.equal(e2.code, 'HZ_ERR_UPSTREAM_TIMEOUT');
  t.equal(e2.reasons.length, 3);
  t.equal(a.count(), 3, 'three attempts');
  t.equal(new Set(a.received.map((r) => r.id)).size, 3, 'each attempt has its own ID');
});

t.test('many concurrent timeouts expire together', async (t) => {
  const { a, b, g } = await pair(t, { timeoutMs: 100 });
  a.setDefault({ drop: true });
  b.setDefault({ drop: true });
  const start = performance.now();
  const all = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => g.query(q(`m${i}.example.`), 1000)));
  const took = performance.now() - start;
  t.ok(all.every((r) => r.status === 'rejected' && (r.reason as UpstreamError).code === 'HZ_ERR_UPSTREAM_TIMEOUT'));
  t.ok(took >= 190 && took < 600, `two timeouts in a row per query (${Math.round(took)} ms)`);
  t.equal(a.count() + b.count(), 200);
});

t.test('close() rejects pending queries and later ones', async (t) => {
  const { a, g } = await pair(t, { timeoutMs: 1000 });
  a.setDefault({ drop: true });
  const pending = failure(g.query(q('c.example.'), 2000));
  await new Promise((r) => setTimeout(r, 20));
  await g.close();
  t.equal((await pending).code, 'HZ_ERR_UPSTREAM_CLOSED');
  t.equal((await failure(g.query(q('c.example.'), 2000))).code, 'HZ_ERR_UPSTREAM_CLOSED');
});

t.test('bad specs are refused at construction', async (t) => {
  const bad = (specs: ConstructorParameters<typeof UpstreamGroup>[0]) => () => new UpstreamGroup(specs, { timeoutMs: 100, attempts: 1 });
  t.throws(bad([]), { code: 'HZ_ERR_UPSTREAM_CONFIG' });
  t.throws(bad([{ name: 'x', address: 'dns.example', port: 53, protocol: 'udp' }]), { code: 'HZ_ERR_UPSTREAM_CONFIG' });
  t.throws(bad([{ name: 'x', port: 443, protocol: 'https', url: 'http://dns.example/dns-query' }]), { code: 'HZ_ERR_UPSTREAM_CONFIG' });
  t.throws(bad([{ name: 'x', address: '127.0.0.1', port: 53, protocol: 'udp' }, { name: 'x', address: '127.0.0.2', port: 53, protocol: 'udp' }]),
    { code: 'HZ_ERR_UPSTREAM_CONFIG' });
});
