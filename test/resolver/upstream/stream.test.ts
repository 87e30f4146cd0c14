import t, { type Test } from 'tap';
import net from 'node:net';
import { RRType } from '../../../src/wire/constants.js';
import {
  UpstreamError, UpstreamGroup, type UpstreamQuestion, type UpstreamSpec,
} from '../../../src/resolver/upstream/index.js';
import { aRecord, answerAddresses, FakeUpstream, makeTestPki, type TestPki } from '../../helpers/fake-upstream.js';

const q = (qname: string): UpstreamQuestion => ({ qname, qtype: RRType.A, qclass: 1, do: true, cd: false });
const failure = (p: Promise<unknown>): Promise<UpstreamError> =>
  p.then(() => { throw new Error('expected a rejection'); }, (e: UpstreamError) => e);

let pki: TestPki;
let other: TestPki;
let up: FakeUpstream;
t.before(async () => {
  pki = makeTestPki(['dns.test']);
  other = makeTestPki(['dns.test'], 'untrusted');
  up = await FakeUpstream.start({ key: pki.key, cert: pki.cert });
});
t.teardown(async () => {
  await up.close();
  pki.cleanup();
  other.cleanup();
});

function group(t: Test, spec: Omit<UpstreamSpec, 'name'>, timeoutMs = 1000): UpstreamGroup {
  const g = new UpstreamGroup([{ name: 'up', ...spec }], { timeoutMs, attempts: 1 });
  t.teardown(() => g.close());
  return g;
}

/** Five queries at once, answered in reverse order: all on one connection, each gets its own answer. */
async function pipelined(t: Test, g: UpstreamGroup, transport: string): Promise<void> {
  up.received.length = 0;
  const names = [0, 1, 2, 3, 4].map((i) => `p${i}.${transport}.example.`);
  names.forEach((n, i) => up.set(n, { answer: [aRecord(n, `192.0.2.${100 + i}`)], delayMs: 100 - i * 20 }));
  const before = up.connections;
  const results = await Promise.all(names.map((n) => g.query(q(n), 2000)));
  results.forEach((r, i) => t.same(answerAddresses(r.wire), [`192.0.2.${100 + i}`], `answer ${i} matched to its query`));
  t.equal(up.connections - before, 1, 'one connection');
  t.equal(new Set(up.received.map((r) => r.connection)).size, 1, 'all queries on it');
  t.same(up.received.map((r) => r.transport), Array(5).fill(transport));
  t.equal(g.stats()[0]!.connections, 1);
}

t.test('TCP: one connection, pipelined queries, answers out of order', async (t) => {
  const g = group(t, { address: up.address, port: up.port, protocol: 'tcp' });
  await pipelined(t, g, 'tcp');
});

t.test('TCP: a closed connection is replaced; a query caught by the close is sent again', async (t) => {
  const g = group(t, { address: up.address, port: up.port, protocol: 'tcp' });
  up.set('r.example.', { answer: [aRecord('r.example.', '192.0.2.60')] });
  await g.query(q('r.example.'), 2000);
  up.dropConnections(); // the server's idle timeout
  await new Promise((r) => setTimeout(r, 20));
  t.same(answerAddresses((await g.query(q('r.example.'), 2000)).wire), ['192.0.2.60']);
  t.equal(g.stats()[0]!.connections, 2, 'reconnected');

  let asked = 0;
  up.set('close.example.', () => (++asked === 1 ? { closeConnection: true } : { answer: [aRecord('close.example.', '192.0.2.61')] }));
  t.same(answerAddresses((await g.query(q('close.example.'), 2000)).wire), ['192.0.2.61']);
  t.equal(asked, 2, 'sent again once on a new connection');

  up.set('close.example.', { closeConnection: true });
  const e = await failure(g.query(q('close.example.'), 2000));
  t.equal(e.code, 'HZ_ERR_UPSTREAM_FAILED', 'but not forever');
  t.match(e.reasons[0], /tcp: connection closed/);
});

t.test('TCP: connection refused fails fast', async (t) => {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  const g = group(t, { address: '127.0.0.1', port, protocol: 'tcp' }, 2000);
  const start = performance.now();
  const e = await failure(g.query(q('x.example.'), 3000));
  t.equal(e.code, 'HZ_ERR_UPSTREAM_FAILED');
  t.match(e.reasons[0], /ECONNREFUSED/);
  t.ok(performance.now() - start < 1000);
});

t.test('TLS: verified, one connection, pipelined', async (t) => {
  const g = group(t, { address: up.address, port: up.tlsPort, protocol: 'tls', serverName: 'dns.test', ca: pki.ca });
  await pipelined(t, g, 'tls');
  t.same(up.received.map((r) => r.sni), Array(5).fill('dns.test'), 'SNI is the serverName');
});

t.test('TLS: wrong name or untrusted CA fail verification', async (t) => {
  up.set('v.example.', { answer: [aRecord('v.example.', '192.0.2.62')] });
  const before = up.count('v.example.');
  const wrong = group(t, { address: up.address, port: up.tlsPort, protocol: 'tls', serverName: 'other.test', ca: pki.ca });
  const e1 = await failure(wrong.query(q('v.example.'), 2000));
  t.equal(e1.code, 'HZ_ERR_UPSTREAM_FAILED');
  t.match(e1.reasons[0], /other\.test/);
  const untrusted = group(t, { address: up.address, port: up.tlsPort, protocol: 'tls', serverName: 'dns.test', ca: other.ca });
  const e2 = await failure(untrusted.query(q('v.example.'), 2000));
  t.match(e2.reasons[0], /certificate|unable to verify|self.signed/i);
  const https = group(t, { port: up.httpsPort, protocol: 'https', url: `https://other.test:${up.httpsPort}/dns-query`, address: '127.0.0.1', ca: pki.ca });
  const e3 = await failure(https.query(q('v.example.'), 2000));
  t.match(e3.reasons[0], /other\.test/);
  t.equal(up.count('v.example.'), before, 'no query was sent to an unverified server');
});

for (const method of ['POST', 'GET'] as const) {
  t.test(`HTTPS ${method}: ID 0, one HTTP/2 session for concurrent queries`, async (t) => {
    const g = group(t, {
      address: '127.0.0.1', port: up.httpsPort, protocol: 'https', method, url: `https://dns.test:${up.httpsPort}/dns-query`, caFile: pki.caFile,
    });
    await pipelined(t, g, 'https');
    t.same(up.received.map((r) => r.id), Array(5).fill(0), 'DNS ID 0 (RFC 8484 4.1)');
    t.same(up.received.map((r) => r.method), Array(5).fill(method));
    t.same(up.received.map((r) => r.do), Array(5).fill(true));
    t.same(up.received.map((r) => r.sni), Array(5).fill('dns.test'), 'SNI is the URL host');
  });
}

t.test('HTTPS: a non-DNS response fails the attempt', async (t) => {
  const g = group(t, { address: '127.0.0.1', port: up.httpsPort, protocol: 'https', url: `https://dns.test:${up.httpsPort}/wrong-path`, ca: pki.ca });
  const e = await failure(g.query(q('x.example.'), 2000));
  t.equal(e.code, 'HZ_ERR_UPSTREAM_FAILED');
  t.match(e.reasons[0], /HTTP status 404/);
});

t.test('HTTPS: a timed out stream is cancelled, the session stays usable', async (t) => {
  const g = group(t, { address: '127.0.0.1', port: up.httpsPort, protocol: 'https', url: `https://dns.test:${up.httpsPort}/dns-query`, ca: pki.ca }, 100);
  up.set('slow.example.', { drop: true });
  up.set('fast.example.', { answer: [aRecord('fast.example.', '192.0.2.63')] });
  t.equal((await failure(g.query(q('slow.example.'), 2000))).code, 'HZ_ERR_UPSTREAM_TIMEOUT');
  t.same(answerAddresses((await g.query(q('fast.example.'), 2000)).wire), ['192.0.2.63']);
  t.equal(g.stats()[0]!.connections, 1);
});
