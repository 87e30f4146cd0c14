import t from 'tap';
import { parseConfig } from '../../src/config/index.js';
import { RebindingFilter } from '../../src/resolver/rebinding.js';
import { RRType } from '../../src/wire/constants.js';
import { decodeMessage, encodeMessage } from '../../src/wire/message.js';
import { rdataToText } from '../../src/wire/rdata/index.js';
import { emptyMessage } from '../../src/wire/types.js';
import { A, AAAA, CNAME, SOA, answers, decode, response } from '../fixtures/views/setup.js';

const config = parseConfig('{}', 'rebinding-test.yaml', '/').rebinding;
const filter = new RebindingFilter(config, ['example.net.']);

t.test('private addresses of every kind are removed from public names', async (t) => {
  const cases: [string, string][] = [
    ['A', '10.1.2.3'], ['A', '172.16.0.1'], ['A', '192.168.1.1'], ['A', '127.0.0.1'], ['A', '169.254.1.1'],
    ['A', '100.64.0.1'], ['A', '0.0.0.0'], ['A', '0.1.2.3'],
    ['AAAA', '::1'], ['AAAA', 'fe80::1'], ['AAAA', 'fd00::1'], ['AAAA', 'fc12::1'], ['AAAA', '::'], ['AAAA', '::ffff:192.168.1.1'],
  ];
  for (const [type, ip] of cases) {
    const wire = response('evil.example.com', type, { answers: [{ type: type as 'A', name: 'evil.example.com', ttl: 60, data: ip }] });
    const v = filter.filter(wire);
    t.equal(v.removed, 1, `${ip} removed`);
    t.ok(v.blocked, `${ip}: nothing left, blocked`);
    t.same(answers(v.wire), []);
  }
});

t.test('public addresses pass and the buffer is the same object', async (t) => {
  const wire = response('www.example.com', 'A', { answers: [A('www.example.com', '93.184.216.34'), A('www.example.com', '172.32.0.1'), A('www.example.com', '100.128.0.1')] });
  const v = filter.filter(wire);
  t.equal(v.wire, wire);
  t.equal(v.removed, 0);
  t.notOk(v.blocked);
  const v6 = response('www.example.com', 'AAAA', { answers: [AAAA('www.example.com', '2001:db8::1')] });
  t.equal(filter.filter(v6).wire, v6);
});

t.test('IPv4-mapped IPv6 is judged by the IPv4 address inside', async (t) => {
  // The default privateNetworks list all of ::ffff:0:0/96; without it the embedded address decides.
  const noMapped = parseConfig('rebinding: { privateNetworks: [rfc1918, loopback] }', 'rebinding-test.yaml', '/').rebinding;
  const f = new RebindingFilter(noMapped);
  const mapped = (ip: string) => response('m.example.com', 'AAAA', { answers: [AAAA('m.example.com', ip)] });
  t.equal(f.filter(mapped('::ffff:10.1.1.1')).removed, 1, 'mapped private');
  t.equal(f.filter(mapped('::ffff:127.0.0.1')).removed, 1, 'mapped loopback');
  t.equal(f.filter(mapped('::ffff:8.8.8.8')).removed, 0, 'mapped public');
  t.equal(f.filter(mapped('::')).removed, 1, 'unspecified is always refused');
  t.equal(filter.filter(mapped('::ffff:8.8.8.8')).removed, 1, 'default config: any mapped address');
});

t.test('mixed answers keep their public part; TTLs and the rest unchanged', async (t) => {
  const wire = response('mixed.example.com', 'A', {
    answers: [A('mixed.example.com', '192.168.1.10', 77), A('mixed.example.com', '198.51.100.7', 77)],
  });
  const v = filter.filter(wire);
  t.equal(v.removed, 1);
  t.notOk(v.blocked);
  const msg = decode(v.wire);
  t.same(answers(v.wire), ['mixed.example.com A 198.51.100.7']);
  t.equal((msg.answers![0] as { ttl: number }).ttl, 77);
  t.equal(msg.id, 0x4242);
});

t.test('a CNAME chain to a private address is blocked; the chain alone is no data', async (t) => {
  const wire = response('www.evil.example', 'A', { answers: [CNAME('www.evil.example', 'x.evil.example'), A('x.evil.example', '10.0.0.1')] });
  const v = filter.filter(wire);
  t.ok(v.blocked);
  t.same(answers(v.wire), ['www.evil.example CNAME x.evil.example']);
});

t.test('private domains and the zones we serve may hold private addresses', async (t) => {
  const lan = response('nas.lan', 'A', { answers: [A('nas.lan', '192.168.1.20')] });
  t.equal(filter.filter(lan).wire, lan, 'qname in lan.');
  const toLan = response('files.example.com', 'A', { answers: [CNAME('files.example.com', 'nas.home.arpa'), A('nas.home.arpa', '192.168.1.20')] });
  t.equal(filter.filter(toLan).wire, toLan, 'owner in home.arpa.');
  const fromLan = response('nas.lan', 'A', { answers: [CNAME('nas.lan', 'nas.example.com'), A('nas.example.com', '192.168.1.20')] });
  t.equal(filter.filter(fromLan).wire, fromLan, 'the question is a private name');
  const served = response('app.example.net', 'A', { answers: [A('app.example.net', '10.0.20.200')] });
  t.equal(filter.filter(served).wire, served, 'extra domain (a zone we serve)');
  const custom = new RebindingFilter({ ...config, privateDomains: ['corp.example.'] });
  t.equal(custom.filter(lan).blocked, true, 'lan. is not private in that config');
});

t.test('additional section, RRSIGs and negative answers', async (t) => {
  const mx = response('example.com', 'MX', {
    answers: [{ type: 'MX', name: 'example.com', ttl: 300, data: { preference: 10, exchange: 'mail.example.com' } }],
    additionals: [A('mail.example.com', '10.9.9.9'), A('mail.example.com', '198.51.100.25')],
  });
  const v = filter.filter(mx);
  t.equal(v.removed, 1);
  t.notOk(v.blocked, 'the MX is still there');
  t.same(decode(v.wire).additionals!.map((r) => (r as { data: string }).data), ['198.51.100.25']);

  const nx = response('evil.example.com', 'A', { rcode: 3, authorities: [SOA('example.com')] });
  t.equal(filter.filter(nx).wire, nx, 'NXDOMAIN untouched');

  const sig = (covered: number) => ({
    name: 'evil.example.com.', type: RRType.RRSIG, class: 1, ttl: 60,
    rdata: Uint8Array.from([covered >> 8, covered & 0xff, 13, 3, 0, 0, 0, 60, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 7, 101, 120, 97, 109, 112, 108, 101, 3, 99, 111, 109, 0, 1, 2, 3]),
  });
  const signed = encodeMessage(emptyMessage({
    id: 1, qr: true, ra: true, question: [{ name: 'evil.example.com.', type: RRType.A, class: 1 }],
    answer: [
      { name: 'evil.example.com.', type: RRType.A, class: 1, ttl: 60, rdata: Uint8Array.from([192, 168, 0, 1]) },
      sig(RRType.A),
      { name: 'evil.example.com.', type: RRType.TXT, class: 1, ttl: 60, rdata: Uint8Array.from([2, 104, 105]) },
      sig(RRType.TXT),
    ],
  }));
  const s = decodeMessage(filter.filter(signed).wire);
  t.same(s.answer.map((r) => r.type === RRType.RRSIG ? `RRSIG/${(r.rdata[0]! << 8) | r.rdata[1]!}` : String(r.type)), ['16', `RRSIG/${RRType.TXT}`],
    'the signature over the removed A goes too');
});

t.test('SVCB/HTTPS: private hints are stripped, the record stays', async (t) => {
  const rdata = Uint8Array.from([
    0, 1, 0,
    0, 1, 0, 3, 2, 0x68, 0x32,
    0, 4, 0, 8, 192, 168, 1, 1, 198, 51, 100, 7,
    0, 6, 0, 16, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
  ]);
  const wire = encodeMessage(emptyMessage({
    id: 1, qr: true, ra: true, question: [{ name: 'svc.example.com.', type: RRType.HTTPS, class: 1 }],
    answer: [{ name: 'svc.example.com.', type: RRType.HTTPS, class: 1, ttl: 300, rdata }],
  }));
  const v = filter.filter(wire);
  t.equal(v.removed, 2);
  t.notOk(v.blocked);
  t.equal(rdataToText(RRType.HTTPS, decodeMessage(v.wire).answer[0]!.rdata), '1 . alpn="h2" ipv4hint=198.51.100.7', 'ipv6hint left empty: dropped');
});

t.test('counters; disabled config gives no filter', async (t) => {
  const f = new RebindingFilter(config);
  f.filter(response('a.example.com', 'A', { answers: [A('a.example.com', '10.0.0.1')] }));
  f.filter(response('b.example.com', 'A', { answers: [A('b.example.com', '10.0.0.1'), A('b.example.com', '10.0.0.2'), A('b.example.com', '8.8.8.8')] }));
  f.filter(response('c.example.com', 'A', { answers: [A('c.example.com', '8.8.8.8')] }));
  t.same({ ...f.counters }, { filtered: 2, blocked: 1, removed: 3 });
  t.equal(RebindingFilter.create({ ...config, enabled: false }), null);
  t.ok(RebindingFilter.create(config));
});
