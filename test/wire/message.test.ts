import t from 'tap';
import dnsPacket from 'dns-packet';
import { decodeMessage, encodeMessage } from '../../src/wire/message.js';
import { emptyMessage, type RR } from '../../src/wire/types.js';
import { RRType, RClass } from '../../src/wire/constants.js';
import { WireError } from '../../src/wire/errors.js';

const a = (name: string, ip: string, ttl = 300): RR => ({
  name, type: RRType.A, class: RClass.IN, ttl, rdata: Uint8Array.from(ip.split('.').map(Number)),
});

t.test('encode compresses names and an independent decoder agrees', async (t) => {
  const msg = emptyMessage({
    id: 0x1234, qr: true, aa: true, rd: true,
    question: [{ name: 'Host1.home.lan.', type: RRType.A, class: RClass.IN }],
    answer: [a('Host1.home.lan.', '192.168.1.10'), a('host1.home.lan.', '192.168.1.11')],
  });
  const wire = encodeMessage(msg);
  // question name written once in full, the two owners are 2-byte pointers
  t.equal(wire.length, 12 + 16 + 4 + 2 * (2 + 10 + 4));
  const other = dnsPacket.decode(wire);
  t.equal(other.id, 0x1234);
  t.equal(other.flag_aa, true);
  t.same(other.answers!.map((r) => (r as { data: string }).data), ['192.168.1.10', '192.168.1.11']);
  const back = decodeMessage(wire);
  t.equal(back.question[0]!.name, 'Host1.home.lan.');
  // compression matches names case-insensitively (as BIND does), so the owners take the case of
  // the first occurrence: the question's
  t.equal(back.answer[1]!.name, 'Host1.home.lan.');
  t.ok(back.aa && back.qr && back.rd && !back.tc);
});

t.test('decode reads what an independent encoder wrote, including EDNS', async (t) => {
  const wire = dnsPacket.encode({
    type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: 'AAAA', name: 'example.net' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1400, flags: dnsPacket.DNSSEC_OK, options: [{ code: 10, data: Buffer.from('0102030405060708', 'hex') }] } as never],
  });
  const m = decodeMessage(wire);
  t.equal(m.id, 7);
  t.ok(m.rd);
  t.same(m.question, [{ name: 'example.net.', type: RRType.AAAA, class: RClass.IN }]);
  t.equal(m.edns?.udpSize, 1400);
  t.equal(m.edns?.do, true);
  t.equal(m.edns?.version, 0);
  t.same([...m.edns!.options[0]!.data], [1, 2, 3, 4, 5, 6, 7, 8]);
  t.equal(m.additional.length, 0);
  const again = decodeMessage(encodeMessage(m));
  t.same(again.edns, m.edns);
});

t.test('truncation keeps whole RRsets and sets TC; additional data is dropped silently', async (t) => {
  const answer: RR[] = [];
  for (let i = 0; i < 60; i++) answer.push(a('big.home.lan.', `10.0.0.${i}`));
  const msg = emptyMessage({ qr: true, question: [{ name: 'big.home.lan.', type: 1, class: 1 }], answer });
  const small = encodeMessage(msg, { maxSize: 512 });
  t.ok(small.length <= 512);
  const d = decodeMessage(small);
  t.ok(d.tc, 'TC set');
  t.equal(d.answer.length, 0, 'a partial RRset is never sent');
  const full = decodeMessage(encodeMessage(msg));
  t.equal(full.answer.length, 60);
  t.notOk(full.tc);
  const withExtra = emptyMessage({
    qr: true, question: msg.question, answer: [a('x.home.lan.', '10.0.0.1')],
    additional: answer,
  });
  const d2 = decodeMessage(encodeMessage(withExtra, { maxSize: 512 }));
  t.notOk(d2.tc, 'dropping additional records does not set TC');
  t.equal(d2.answer.length, 1);
  t.ok(d2.additional.length < 60);
});

t.test('malformed messages are rejected with WireError', async (t) => {
  t.throws(() => decodeMessage(Buffer.alloc(5)), WireError);
  const good = encodeMessage(emptyMessage({ question: [{ name: 'a.b.', type: 1, class: 1 }], answer: [a('a.b.', '1.2.3.4')] }));
  t.throws(() => decodeMessage(good.subarray(0, good.length - 1)), WireError);
  t.throws(() => decodeMessage(Buffer.concat([good, Buffer.from([0])])), /trailing/);
  const badA = Buffer.from(good);
  badA.writeUInt16BE(5, badA.length - 6); // RDLENGTH 5 for an A record
  t.throws(() => decodeMessage(badA), WireError);
  const twoOpt = dnsPacket.encode({
    type: 'query', id: 1, questions: [{ type: 'A', name: 'x' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 512 } as never, { type: 'OPT', name: '.', udpPayloadSize: 512 } as never],
  });
  t.throws(() => decodeMessage(twoOpt), /OPT/);
});
