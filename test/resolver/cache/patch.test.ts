import t from 'tap';
import dnsPacket from 'dns-packet';
import { packAnswer, ttlOffset } from '../../../src/resolver/cache/pack.js';
import { patchPacked } from '../../../src/resolver/cache/patch.js';
import { QueryView } from '../../../src/wire/query-view.js';
import { ttlOf } from '../../helpers/resolver.js';

const upstream = dnsPacket.encode({
  type: 'response', id: 999, flags: dnsPacket.RECURSION_DESIRED | dnsPacket.AUTHENTIC_DATA,
  questions: [{ name: 'mail.example.com', type: 'MX' }],
  answers: [{ type: 'MX', name: 'mail.example.com', ttl: 3600, data: { preference: 10, exchange: 'mx.example.com' } }],
  additionals: [{ type: 'A', name: 'mx.example.com', ttl: 600, data: '192.0.2.25' }],
});
const packed = packAnswer(upstream, { minTtl: 0, maxTtl: 86_400, negativeMaxTtl: 3600 });

function view(name: string, o: { id: number; rd: boolean; do?: boolean; ad?: boolean }): QueryView {
  let flags = o.rd ? dnsPacket.RECURSION_DESIRED : 0;
  if (o.ad) flags |= dnsPacket.AUTHENTIC_DATA;
  const msg = dnsPacket.encode({
    type: 'query', id: o.id, flags, questions: [{ name, type: 'MX' }],
    additionals: o.do ? [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: dnsPacket.DNSSEC_OK } as never] : [],
  });
  const v = new QueryView();
  v.parse(msg);
  return v;
}

t.test('writes ID, question bytes and RD from the query, and ages every TTL', async (t) => {
  const q = view('MAIL.Example.COM', { id: 0xabcd, rd: false });
  const out = patchPacked(packed, q, 100, -1);
  const d = dnsPacket.decode(out);
  t.equal(d.id, 0xabcd);
  t.equal(d.questions![0]!.name, 'MAIL.Example.COM');
  t.notOk(d.flag_rd);
  t.ok(d.flag_ra);
  t.same([ttlOf(d.answers![0]), ttlOf(d.additionals![0])], [3500, 500]);
  t.notOk(d.flag_ad, 'AD cleared when the client asked with neither DO nor AD');
  t.equal(packed.wire.readUInt32BE(ttlOffset(packed.block, 0)), 3600, 'the cached wire is not modified');
});

t.test('TTLs never go below zero; a fixed TTL replaces them all', async (t) => {
  const q = view('mail.example.com', { id: 1, rd: true, do: true });
  const d = dnsPacket.decode(patchPacked(packed, q, 1000, -1));
  t.same([ttlOf(d.answers![0]), ttlOf(d.additionals![0])], [2600, 0]);
  t.ok(d.flag_rd);
  t.ok(d.flag_ad, 'AD kept for a DO client');
  const s = dnsPacket.decode(patchPacked(packed, q, 99_999, 30));
  t.same([ttlOf(s.answers![0]), ttlOf(s.additionals![0])], [30, 30]);
  const ad = dnsPacket.decode(patchPacked(packed, view('mail.example.com', { id: 1, rd: true, ad: true }), 0, -1));
  t.ok(ad.flag_ad, 'AD kept when the client set AD');
});
