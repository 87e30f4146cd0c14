import t from 'tap';
import { startDaemon, exampleConfig } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { FakeUpstream, aRecord, soaRecord } from '../helpers/fake-upstream.js';

/**
 * The daemon as a LAN client sees it: public names forwarded to an upstream and cached, TTLs
 * counting down, and cached names still resolving (stale, NOERROR) while the upstream is down.
 */
const H = '127.0.0.1';

function config(upstreamPort: number, extra = ''): string {
  return exampleConfig(`forward:
  upstreams: [{ address: 127.0.0.1, port: ${upstreamPort}, protocol: udp }]
  timeout: 300ms
  attempts: 1
  nxdomain: [secret.corp.example.]
cache:
  minTtl: 1s
  serveStale: { enabled: true, maxStale: 1h, answerTtl: 30s, clientTimeout: 1.8s, failureRecheck: 30s }
${extra}`);
}

t.test('forwarding, caching, TTL countdown, local zones and local NXDOMAIN', async (t) => {
  const up = await FakeUpstream.start();
  t.teardown(() => up.close());
  up.set('www.example.net.', { answer: [aRecord('www.example.net.', '198.51.100.7', 120)] });
  up.set('gone.example.net.', { rcode: 3, authority: [soaRecord('example.net.', 600, 60)] });
  const d = await startDaemon({ config: config(up.port), copyZones: true });
  t.teardown(() => d.stop());

  const first = await dig(H, d.port, 'www.example.net', 'A');
  t.equal(first.status, 'NOERROR');
  t.ok(first.flags.includes('ra'), 'recursion available to a loopback client');
  t.notOk(first.flags.includes('aa'), 'forwarded answers are not authoritative');
  t.same(first.answer, ['www.example.net. 120 IN A 198.51.100.7']);
  await new Promise((r) => setTimeout(r, 2100));
  const again = await dig(H, d.port, 'WWW.example.net', 'A');
  t.equal(up.count('www.example.net.'), 1, 'answered from the cache the second time');
  const ttl = Number(again.answer[0]!.split(' ')[1]);
  t.ok(ttl <= 118 && ttl >= 115, `TTL counts down (got ${ttl})`);
  t.match(again.raw, /;WWW\.example\.net\.\s+IN\s+A/, 'question case echoed');

  const nx = await dig(H, d.port, 'gone.example.net', 'A');
  t.equal(nx.status, 'NXDOMAIN');
  t.match(nx.authority[0], /^example\.net\. 60 IN SOA/, 'negative answer keeps its SOA');
  await dig(H, d.port, 'gone.example.net', 'A');
  t.equal(up.count('gone.example.net.'), 1, 'NXDOMAIN cached (RFC 2308)');

  const local = await dig(H, d.port, 'host1.home.lan', 'A');
  t.ok(local.flags.includes('aa') && local.flags.includes('ra'), 'authoritative answers say RA to recursive clients');
  t.equal(up.count('host1.home.lan.'), 0, 'local zones are never forwarded');

  const secret = await dig(H, d.port, 'db.secret.corp.example', 'A');
  t.equal(secret.status, 'NXDOMAIN');
  t.equal(up.count('db.secret.corp.example.'), 0, 'local NXDOMAIN never leaks upstream');
});

t.test('outage: cached names keep answering stale, fresh again after recovery', async (t) => {
  const up = await FakeUpstream.start();
  t.teardown(() => up.close());
  up.set('app.example.org.', { answer: [aRecord('app.example.org.', '198.51.100.9', 1)] });
  const d = await startDaemon({ config: config(up.port), copyZones: true });
  t.teardown(() => d.stop());

  const fresh = await dig(H, d.port, 'app.example.org', 'A');
  t.same(fresh.answer, ['app.example.org. 1 IN A 198.51.100.9']);
  up.setDefault({ drop: true }); // the upstream stops answering
  up.set('app.example.org.', { drop: true });
  await new Promise((r) => setTimeout(r, 1500)); // the entry expires
  const stale = await dig(H, d.port, 'app.example.org', 'A', ['+time=5']);
  t.equal(stale.status, 'NOERROR', 'stale answer, not SERVFAIL');
  t.same(stale.answer, ['app.example.org. 30 IN A 198.51.100.9'], 'stale TTL 30 s (RFC 8767)');
  t.match(stale.raw, /EDE: 3 \(Stale Answer\)/);
  const never = await dig(H, d.port, 'never-cached.example.org', 'A', ['+time=5']);
  t.equal(never.status, 'SERVFAIL', 'nothing cached: SERVFAIL');

  up.set('app.example.org.', { answer: [aRecord('app.example.org.', '198.51.100.10', 300)] });
  await new Promise((r) => setTimeout(r, 300));
  // within the 30 s failure-recheck window stale is served without asking; the background
  // refresh that started on the first stale answer may already have landed
  const later = await dig(H, d.port, 'app.example.org', 'A');
  t.equal(later.status, 'NOERROR');
  t.match(later.answer[0], /^app\.example\.org\. \d+ IN A 198\.51\.100\.(9|10)$/);
});

t.test('clients outside recursion.allow get REFUSED for names outside our zones', async (t) => {
  const up = await FakeUpstream.start();
  t.teardown(() => up.close());
  up.set('www.example.net.', { answer: [aRecord('www.example.net.', '198.51.100.7')] });
  const d = await startDaemon({ config: config(up.port).replace('cache:', 'recursion: { allow: [192.168.1.0/24] }\ncache:'), copyZones: true });
  t.teardown(() => d.stop());
  const r = await dig(H, d.port, 'www.example.net', 'A');
  t.equal(r.status, 'REFUSED');
  t.notOk(r.flags.includes('ra'));
  t.equal(up.count('www.example.net.'), 0);
  const local = await dig(H, d.port, 'nas.home.lan', 'A');
  t.equal(local.status, 'NOERROR', 'authoritative data stays public');
  t.notOk(local.flags.includes('ra'));
});
