import t from 'tap';
import dnsPacket from 'dns-packet';
import { QueryView } from '../../src/wire/query-view.js';

const query = (name: string, type: string, opts: { edns?: boolean; do?: boolean; version?: number; ecs?: boolean } = {}) =>
  dnsPacket.encode({
    type: 'query', id: 0xbeef, flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: type as 'A', name }],
    additionals: opts.edns
      ? [{
          type: 'OPT', name: '.', udpPayloadSize: 4096, flags: opts.do ? dnsPacket.DNSSEC_OK : 0,
          ...(opts.version ? { ednsVersion: opts.version } : {}),
          options: opts.ecs ? [{ code: 'CLIENT_SUBNET', family: 1, sourcePrefixLength: 24, scopePrefixLength: 0, ip: '192.168.1.0' }] : [],
        } as never]
      : [],
  });

t.test('reads header, question span and OPT without decoding records', async (t) => {
  const v = new QueryView();
  t.ok(v.parse(query('Host1.Home.lan', 'AAAA', { edns: true, do: true, ecs: true })));
  t.equal(v.id, 0xbeef);
  t.ok(v.rd);
  t.notOk(v.qr);
  t.equal(v.qtype, 28);
  t.equal(v.qclass, 1);
  t.equal(v.qnameStart, 12);
  t.equal(v.qnameEnd, 12 + 16); // 5Host1 4Home 3lan 0
  t.ok(v.hasEdns);
  t.equal(v.ednsUdpSize, 4096);
  t.ok(v.ednsDo);
  const ecs = v.clientSubnet();
  t.ok(ecs > 0);
  t.equal(v.buf.readUInt16BE(ecs), 1, 'ECS family');
  t.equal(v.buf[ecs + 2], 24, 'ECS source prefix');
});

t.test('the key is case-insensitive and separates type, class and DO', async (t) => {
  const v = new QueryView();
  v.parse(query('WWW.example.COM', 'A'));
  const k1 = v.key();
  v.parse(query('www.example.com', 'A'));
  t.equal(v.key(), k1);
  v.parse(query('www.example.com', 'AAAA'));
  t.not(v.key(), k1);
  v.parse(query('www.example.com', 'A', { edns: true, do: true }));
  t.not(v.key(), k1);
});

t.test('malformed input is reported, never thrown', async (t) => {
  const v = new QueryView();
  t.notOk(v.parse(Buffer.alloc(3)));
  const q = query('a.example', 'A');
  t.notOk(v.parse(q.subarray(0, q.length - 2)));
  t.match(v.error, /truncated/);
  const two = Buffer.from(q);
  two.writeUInt16BE(2, 4);
  t.notOk(v.parse(two));
  t.match(v.error, /more than one question/);
  const trailing = Buffer.concat([q, Buffer.from([1, 2])]);
  t.notOk(v.parse(trailing));
  const badLabel = Buffer.from(q);
  badLabel[12] = 0x41;
  t.notOk(v.parse(badLabel));
  t.equal(v.id, 0xbeef, 'the header is still read so a FORMERR can echo the ID');
});
