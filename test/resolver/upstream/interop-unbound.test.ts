/**
 * Interop with a real resolver: unbound (Debian 1.17) on 127.0.0.1 serving local data over UDP,
 * TCP, DNS over TLS and DNS over HTTPS with a certificate from a throw-away CA.
 */
import t from 'tap';
import { RCode, RRType } from '../../../src/wire/constants.js';
import { decodeMessage } from '../../../src/wire/message.js';
import {
  UpstreamError, UpstreamGroup, type UpstreamQuestion, type UpstreamSpec,
} from '../../../src/resolver/upstream/index.js';
import { answerAddresses, rcodeOfWire } from '../../helpers/fake-upstream.js';
import { startUnbound } from '../../helpers/unbound.js';


const q = (qname: string, qtype: number = RRType.A): UpstreamQuestion => ({ qname, qtype, qclass: 1, do: true, cd: false });
const failure = (p: Promise<unknown>): Promise<UpstreamError> =>
  p.then(() => { throw new Error('expected a rejection'); }, (e: UpstreamError) => e);

t.test('unbound interop', async (t) => {
  const big = Array.from({ length: 100 }, (_, i) => `big.test. 300 IN A 198.51.100.${i}`);
  const server = await startUnbound(['forwarded.test. 300 IN A 192.0.2.7', ...big]);
  t.teardown(() => server.close());
  const ub = { ...server, ca: server.pki.ca, otherCa: server.otherPki.ca };
  const specs: Record<string, UpstreamSpec> = {
    udp: { name: 'ub-udp', address: '127.0.0.1', port: ub.plain, protocol: 'udp' },
    tcp: { name: 'ub-tcp', address: '127.0.0.1', port: ub.plain, protocol: 'tcp' },
    tls: { name: 'ub-tls', address: '127.0.0.1', port: ub.tls, protocol: 'tls', serverName: 'dns.test', ca: ub.ca },
    'https POST': { name: 'ub-doh', address: '127.0.0.1', port: ub.https, protocol: 'https', url: `https://dns.test:${ub.https}/dns-query`, ca: ub.ca },
    'https GET': { name: 'ub-doh', address: '127.0.0.1', port: ub.https, protocol: 'https', method: 'GET', url: `https://dns.test:${ub.https}/dns-query`, ca: ub.ca },
  };
  const open = (spec: UpstreamSpec): UpstreamGroup => {
    const g = new UpstreamGroup([spec], { timeoutMs: 1500, attempts: 1 });
    t.teardown(() => g.close());
    return g;
  };

  for (const [label, spec] of Object.entries(specs)) {
    await t.test(`${label}: forwarded.test answered`, async (t) => {
      const g = open(spec);
      const rs = await Promise.all([g.query(q('forwarded.test.'), 3000), g.query(q('FORWARDED.Test.'), 3000), g.query(q('nothing.test.'), 3000)]);
      t.same(answerAddresses(rs[0].wire), ['192.0.2.7']);
      t.equal(rs[0].upstream, spec.name);
      t.same(answerAddresses(rs[1].wire), ['192.0.2.7'], 'mixed-case question matched');
      t.equal(rcodeOfWire(rs[2].wire), RCode.NXDomain);
      const m = decodeMessage(rs[0].wire);
      t.equal(m.edns?.do, true, 'unbound saw our EDNS with DO');
      if (spec.protocol !== 'udp') t.equal(g.stats()[0]!.connections, 1, 'one connection for three queries');
    });
  }

  await t.test('udp: a truncated answer is fetched again over TCP', async (t) => {
    const g = open(specs.udp!);
    const r = await g.query(q('big.test.'), 3000);
    t.equal(answerAddresses(r.wire).length, 100);
    t.equal(g.stats()[0]!.truncated, 1);
  });

  await t.test('tls: a wrong serverName or an untrusted CA fails verification', async (t) => {
    const wrong = await failure(open({ ...specs.tls!, serverName: 'wrong.test' }).query(q('forwarded.test.'), 3000));
    t.equal(wrong.code, 'HZ_ERR_UPSTREAM_FAILED');
    t.match(wrong.reasons[0], /wrong\.test/);
    const untrusted = await failure(open({ ...specs.tls!, ca: ub.otherCa }).query(q('forwarded.test.'), 3000));
    t.equal(untrusted.code, 'HZ_ERR_UPSTREAM_FAILED');
    t.match(untrusted.reasons[0], /certificate|unable to verify|self.signed/i);
    const doh = await failure(open({ ...specs['https POST']!, ca: ub.otherCa }).query(q('forwarded.test.'), 3000));
    t.match(doh.reasons[0], /certificate|unable to verify|self.signed/i);
  });
});
