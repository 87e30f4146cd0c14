import t from 'tap';
import dnsPacket from 'dns-packet';
import { minTtl } from '../../src/wire/min-ttl.js';

t.test('smallest TTL over the answer and authority sections, compressed names included', async (t) => {
  const wire = dnsPacket.encode({
    type: 'response', id: 1, flags: 0,
    questions: [{ type: 'A', name: 'a.example', class: 'IN' }],
    answers: [
      { type: 'CNAME', name: 'a.example', ttl: 900, data: 'b.example' },
      { type: 'A', name: 'b.example', ttl: 120, data: '192.0.2.1' },
    ],
    authorities: [{ type: 'NS', name: 'example', ttl: 3600, data: 'ns.example' }],
    additionals: [{ type: 'A', name: 'ns.example', ttl: 5, data: '192.0.2.2' }],
  });
  t.equal(minTtl(wire), 120, 'the additional section does not count');
  const neg = dnsPacket.encode({
    type: 'response', id: 1, flags: 0, questions: [{ type: 'A', name: 'x.example', class: 'IN' }],
    authorities: [{ type: 'SOA', name: 'example', ttl: 300, data: { mname: 'ns', rname: 'h', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 60 } }],
  });
  t.equal(minTtl(neg), 300);
  t.equal(minTtl(dnsPacket.encode({ type: 'response', id: 1, flags: 0, questions: [{ type: 'A', name: 'x', class: 'IN' }] })), -1, 'no records');
  t.equal(minTtl(wire.subarray(0, 40)), -1, 'a message cut inside the answers');
  const big = Buffer.from(dnsPacket.encode({ type: 'response', id: 1, flags: 0, questions: [{ type: 'A', name: 'x', class: 'IN' }], answers: [{ type: 'A', name: 'x', ttl: 1, data: '192.0.2.1' }] }));
  big.writeUInt32BE(0x80000001, big.length - 10);
  t.equal(minTtl(big), 0, 'a TTL with the top bit set counts as 0 (RFC 2181 §8)');
});
