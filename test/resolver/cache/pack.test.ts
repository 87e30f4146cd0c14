import t from 'tap';
import dnsPacket from 'dns-packet';
import { packAnswer, ttlOffset } from '../../../src/resolver/cache/pack.js';
import { EntryKind } from '../../../src/resolver/cache/entry.js';
import { WireError } from '../../../src/wire/errors.js';
import { ttlOf } from '../../helpers/resolver.js';

const policy = { minTtl: 60, maxTtl: 86_400, negativeMaxTtl: 10_800 };
const soa = (ttl: number, minimum: number) => ({
  type: 'SOA' as const, name: 'example.com', ttl,
  data: { mname: 'ns1.example.com', rname: 'hostmaster.example.com', serial: 7, refresh: 3600, retry: 600, expire: 86400, minimum },
});
const opt = (ext = 0) => ({ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: ext, flags: 0 } as never);

function response(p: Partial<dnsPacket.Packet> & { rcode?: number; tc?: boolean; aa?: boolean }): Buffer {
  let flags = dnsPacket.RECURSION_DESIRED | (p.rcode ?? 0);
  if (p.tc) flags |= dnsPacket.TRUNCATED_RESPONSE;
  if (p.aa) flags |= dnsPacket.AUTHORITATIVE_ANSWER;
  return dnsPacket.encode({
    type: 'response', id: 77, flags, questions: [{ name: 'www.example.com', type: 'A', class: 'IN' }],
    answers: p.answers ?? [], authorities: p.authorities ?? [], additionals: p.additionals ?? [],
  });
}

t.test('positive answers: OPT stripped, TTLs clamped, flags fixed', async (t) => {
  const src = response({
    aa: true,
    answers: [
      { type: 'CNAME', name: 'www.example.com', ttl: 10, data: 'web.example.com' },
      { type: 'A', name: 'web.example.com', ttl: 99_999_999, data: '192.0.2.1' },
    ],
    additionals: [{ type: 'A', name: 'ns1.example.com', ttl: 3600, data: '192.0.2.53' }, opt()],
  });
  const p = packAnswer(src, policy);
  t.equal(p.kind, EntryKind.Positive);
  t.equal(p.ttl, 60, 'entry TTL is the smallest clamped TTL');
  t.equal(p.nTtl, 3);
  const d = dnsPacket.decode(p.wire);
  t.equal(d.additionals!.length, 1, 'OPT removed, glue kept');
  t.equal(d.additionals![0]!.type, 'A');
  t.same(d.answers!.map(ttlOf), [60, 86_400], 'each TTL clamped into [minTtl, maxTtl]');
  t.notOk(d.flag_aa, 'AA cleared');
  t.ok(d.flag_ra, 'RA set');
  t.equal(p.wire.length, src.length - 11, 'exactly the OPT record removed');
  t.equal(src.readUInt32BE(ttlOffset(p.block, 0)), 10, 'the source is left untouched');
});

t.test('negative answers follow RFC 2308', async (t) => {
  const nx = packAnswer(response({ rcode: 3, authorities: [soa(3600, 300)], additionals: [opt()] }), policy);
  t.equal(nx.kind, EntryKind.Negative);
  t.equal(nx.rcode, 3);
  t.equal(nx.ttl, 300, 'min(SOA TTL, MINIMUM)');
  t.equal(ttlOf(dnsPacket.decode(nx.wire).authorities![0]), 300, 'the SOA carries the negative TTL');

  const nodata = packAnswer(response({ authorities: [soa(45, 3600)] }), policy);
  t.equal(nodata.kind, EntryKind.Negative);
  t.equal(nodata.ttl, 45, 'NODATA, SOA TTL smaller');

  t.equal(packAnswer(response({ rcode: 3, authorities: [soa(86_400, 86_400)] }), policy).ttl, 10_800, 'capped');

  const cname = packAnswer(response({
    rcode: 3,
    answers: [{ type: 'CNAME', name: 'www.example.com', ttl: 20, data: 'gone.example.com' }],
    authorities: [soa(600, 600)],
  }), policy);
  t.equal(cname.ttl, 20, 'a shorter CNAME in the chain bounds the entry');

  const bare = packAnswer(response({ rcode: 3 }), policy);
  t.equal(bare.kind, EntryKind.Negative);
  t.equal(bare.ttl, 0, 'no SOA: not cacheable');
  const referral = packAnswer(response({ authorities: [{ type: 'NS', name: 'example.com', ttl: 3600, data: 'ns1.example.com' }] }), policy);
  t.equal(referral.ttl, 0, 'NODATA without SOA (a referral): not cacheable');
});

t.test('truncated, failed and extended-RCODE answers are not cacheable', async (t) => {
  const tc = packAnswer(response({ tc: true, answers: [{ type: 'A', name: 'www.example.com', ttl: 300, data: '192.0.2.1' }] }), policy);
  t.ok(tc.truncated);
  t.equal(tc.ttl, 0);
  t.equal(packAnswer(response({ rcode: 2 }), policy).kind, EntryKind.Failure);
  t.equal(packAnswer(response({ rcode: 5 }), policy).kind, EntryKind.Failure);
  const badvers = packAnswer(response({ additionals: [opt(1)] }), policy);
  t.equal(badvers.rcode, 16, 'extended RCODE from OPT');
  t.equal(badvers.kind, EntryKind.Failure);
});

t.test('records after OPT or TSIG are dropped with them', async (t) => {
  const src = response({
    answers: [{ type: 'A', name: 'www.example.com', ttl: 300, data: '192.0.2.1' }],
    additionals: [opt(), { type: 'A', name: 'late.example.com', ttl: 300, data: '192.0.2.2' }],
  });
  const p = packAnswer(src, policy);
  const d = dnsPacket.decode(p.wire);
  t.equal(d.additionals!.length, 0);
  t.equal(p.nTtl, 1);
  t.equal(p.wire.readUInt16BE(10), 0, 'ARCOUNT fixed');
});

t.test('compressed names and the TTL of the top bit', async (t) => {
  // www.example.com A 192.0.2.1 with the owner compressed to the question, TTL 0x80000001
  const q = dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: 'www.example.com', type: 'A' }] });
  const rr = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0x80, 0, 0, 1, 0, 4, 192, 0, 2, 1]);
  const src = Buffer.concat([q, rr]);
  src[2] = 0x81;
  src.writeUInt16BE(1, 6);
  const p = packAnswer(src, policy);
  t.equal(ttlOffset(p.block, 0), q.length + 6);
  t.equal(p.wire.readUInt32BE(ttlOffset(p.block, 0)), 60, 'a TTL with the top bit set counts as 0, then clamped');
});

t.test('malformed answers throw WireError', async (t) => {
  const good = response({ answers: [{ type: 'A', name: 'www.example.com', ttl: 300, data: '192.0.2.1' }] });
  t.throws(() => packAnswer(good.subarray(0, good.length - 2), policy), WireError);
  t.throws(() => packAnswer(Buffer.concat([good, Buffer.from([0])]), policy), WireError);
  t.throws(() => packAnswer(good.subarray(0, 8), policy), WireError);
  const noQ = Buffer.from(good);
  noQ.writeUInt16BE(0, 4);
  t.throws(() => packAnswer(noQ, policy), WireError);
});
