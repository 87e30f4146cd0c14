import t from 'tap';
import { QueryStats } from '../../../src/observability/query-stats.js';
import { AnswerSource } from '../../../src/pipeline/context.js';
import { Responder } from '../../../src/pipeline/responder.js';
import { TranslateStage } from '../../../src/pipeline/stages/translate.js';
import type { View } from '../../../src/view/views.js';
import { RRType } from '../../../src/wire/constants.js';
import { decodeMessage, encodeMessage } from '../../../src/wire/message.js';
import { rdataToText } from '../../../src/wire/rdata/index.js';
import { emptyMessage } from '../../../src/wire/types.js';
import { A, AAAA, CNAME, SOA, Sink, answers, context, decode, loadTestViews, query, response } from '../../fixtures/views/setup.js';

const { views } = loadTestViews();
const stage = new TranslateStage(views);

/** Runs the stage for a client of `address` on a copy of `wire`; returns the output. */
function translate(wire: Buffer, address: string, qname = 'app.example.net', qtype = 'A'): Buffer {
  const ctx = context(query(qname, qtype), address);
  views.select(ctx);
  return stage.apply(ctx, Buffer.from(wire));
}

t.test('A and AAAA answers are rewritten for the LAN only, TTLs kept', async (t) => {
  const wire = response('app.example.net', 'A', { answers: [A('app.example.net', '203.0.113.10', 1234)] });
  const lan = translate(wire, '192.168.1.7');
  t.same(answers(lan), ['app.example.net A 192.168.1.50']);
  t.equal((decode(lan).answers![0] as { ttl: number }).ttl, 1234, 'TTL unchanged');
  t.equal(lan.length, wire.length, 'same size, rewritten in place');
  t.same(answers(translate(wire, '10.0.20.5')), ['app.example.net A 203.0.113.10'], 'k8s client: public answer');
  t.same(answers(translate(wire, '8.8.8.8')), ['app.example.net A 203.0.113.10'], 'outsider: public answer');

  const v6 = response('app.example.net', 'AAAA', { answers: [AAAA('app.example.net', '2001:db8:1:2::10')] });
  t.same(answers(translate(v6, 'fd00:1::9', 'app.example.net', 'AAAA')), ['app.example.net AAAA fd00:1:0:2::10'], '/48 keeps host bits');
});

t.test('prefix rules keep host bits; addresses no rule covers stay', async (t) => {
  const wire = response('pool.example.net', 'A', {
    answers: [A('pool.example.net', '203.0.113.20'), A('pool.example.net', '203.0.113.31'), A('pool.example.net', '203.0.113.32'), A('pool.example.net', '198.51.100.1')],
  });
  t.same(answers(translate(wire, '192.168.1.7', 'pool.example.net')), [
    'pool.example.net A 192.168.1.68', 'pool.example.net A 192.168.1.79', 'pool.example.net A 203.0.113.32', 'pool.example.net A 198.51.100.1',
  ]);
});

t.test('after a CNAME chain, and in the additional section', async (t) => {
  const chain = response('www.example.net', 'A', {
    answers: [CNAME('www.example.net', 'edge.example.org'), CNAME('edge.example.org', 'app.example.net'), A('app.example.net', '203.0.113.10')],
  });
  t.same(answers(translate(chain, '192.168.1.7', 'www.example.net')), [
    'www.example.net CNAME edge.example.org', 'edge.example.org CNAME app.example.net', 'app.example.net A 192.168.1.50',
  ]);
  const mx = response('example.net', 'MX', {
    answers: [{ type: 'MX', name: 'example.net', ttl: 300, data: { preference: 10, exchange: 'mail.example.net' } }],
    authorities: [{ type: 'NS', name: 'example.net', ttl: 300, data: 'ns1.example.net' }],
    additionals: [A('mail.example.net', '203.0.113.25'), AAAA('mail.example.net', '2001:db8:1::25')],
  });
  const out = decode(translate(mx, '192.168.1.7', 'example.net', 'MX'));
  t.same(out.additionals!.map((r) => (r as { data: string }).data), ['192.168.1.73', 'fd00:1::25']);
});

t.test('SVCB/HTTPS ipv4hint and ipv6hint', async (t) => {
  const rdata = Uint8Array.from([
    0, 1, 0, // priority 1, target "."
    0, 1, 0, 3, 2, 0x68, 0x32, // alpn=h2
    0, 4, 0, 8, 203, 0, 113, 10, 198, 51, 100, 7, // ipv4hint
    0, 6, 0, 16, 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, // ipv6hint
  ]);
  const wire = encodeMessage(emptyMessage({
    id: 7, qr: true, rd: true, ra: true,
    question: [{ name: 'app.example.net.', type: RRType.HTTPS, class: 1 }],
    answer: [{ name: 'app.example.net.', type: RRType.HTTPS, class: 1, ttl: 300, rdata }],
  }));
  const out = decodeMessage(translate(wire, '192.168.1.7', 'app.example.net', 'HTTPS'));
  t.equal(rdataToText(RRType.HTTPS, out.answer[0]!.rdata), '1 . alpn="h2" ipv4hint=192.168.1.50,198.51.100.7 ipv6hint=fd00:1::10');
  t.equal(out.answer[0]!.ttl, 300);
});

t.test('NXDOMAIN, NODATA, SERVFAIL and referrals go out untouched', async (t) => {
  const cases: [string, Buffer][] = [
    ['NXDOMAIN', response('app.example.net', 'A', { rcode: 3, answers: [A('app.example.net', '203.0.113.10')], authorities: [SOA('example.net')] })],
    ['NODATA', response('app.example.net', 'A', { authorities: [SOA('example.net')], additionals: [A('ns1.example.net', '203.0.113.10')] })],
    ['SERVFAIL', response('app.example.net', 'A', { rcode: 2, answers: [A('app.example.net', '203.0.113.10')] })],
    ['referral', response('app.example.net', 'A', {
      authorities: [{ type: 'NS', name: 'example.net', ttl: 300, data: 'ns1.example.net' }], additionals: [A('ns1.example.net', '203.0.113.10')],
    })],
  ];
  for (const [what, wire] of cases) t.same(translate(wire, '192.168.1.7'), wire, what);
});

t.test('malformed responses are walked only as far as they are readable', async (t) => {
  const wire = response('app.example.net', 'A', { answers: [A('app.example.net', '203.0.113.10'), A('app.example.net', '203.0.113.10')] });
  const cut = wire.subarray(0, wire.length - 2);
  const out = translate(cut, '192.168.1.7');
  t.equal(out.length, cut.length);
  const first = wire.indexOf(Buffer.from([203, 0, 113, 10]));
  t.same([...out.subarray(first, first + 4)], [192, 168, 1, 50], 'first record rewritten');
  t.same([...out.subarray(wire.length - 4, out.length)], [203, 0], 'the cut one left');
});

t.test('through the responder: counters, and the sent buffer is the one rewritten', async (t) => {
  const { views } = loadTestViews();
  const stage = new TranslateStage(views);
  const sink = new Sink();
  const out = new Responder({ udpPayloadSize: 1232, stats: new QueryStats() });
  out.setPostStages([stage]);
  const cached = response('app.example.net', 'A', { answers: [A('app.example.net', '203.0.113.10'), A('app.example.net', '203.0.113.21')] });
  const keep = Buffer.from(cached);
  for (const address of ['192.168.1.7', '10.0.20.5', '192.168.1.8']) {
    const ctx = context(query('app.example.net', 'A'), address, sink);
    views.select(ctx);
    ctx.source = AnswerSource.Cache;
    out.send(ctx, Buffer.from(cached)); // what patchAnswer hands over: a copy of the entry
  }
  t.same(cached, keep, 'the entry itself is never written');
  t.same(sink.replies.map(answers), [
    ['app.example.net A 192.168.1.50', 'app.example.net A 192.168.1.69'],
    ['app.example.net A 203.0.113.10', 'app.example.net A 203.0.113.21'],
    ['app.example.net A 192.168.1.50', 'app.example.net A 192.168.1.69'],
  ]);
  const lan = views.get('lan') as View;
  t.equal(lan.counters.translatedAnswers, 2);
  t.equal(lan.counters.translatedAddresses, 4);
  t.equal(views.get('k8s')!.counters.translatedAnswers, 0);
});
