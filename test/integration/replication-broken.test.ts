/**
 * A transfer that breaks off halfway must leave the old zone serving. The primary here is a
 * small hand-made server whose AXFR/IXFR answers can be cut short on purpose.
 */
import t from 'tap';
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { exchangeUdp } from '../fixtures/kea/update-client.js';
import { freePort, startReplica } from '../fixtures/xfr/replica.js';

const ZONE = 'broken.test';
const state = { serial: 1, cut: false, requests: [] as string[] };

function soa(): dnsPacket.Answer {
  return { type: 'SOA', name: ZONE, ttl: 60, data: { mname: `ns.${ZONE}`, rname: `h.${ZONE}`, serial: state.serial, refresh: 3600, retry: 3600, expire: 86400, minimum: 60 } };
}

/** The zone at the current serial: 400 hosts whose address ends in the serial. */
function records(): dnsPacket.Answer[] {
  const out: dnsPacket.Answer[] = [soa(), { type: 'NS', name: ZONE, ttl: 60, data: `ns.${ZONE}` }, { type: 'A', name: `ns.${ZONE}`, ttl: 60, data: '192.0.2.1' }];
  for (let i = 0; i < 400; i++) out.push({ type: 'A', name: `h${i}.${ZONE}`, ttl: 60, data: `10.0.${i % 250}.${state.serial}` });
  out.push(soa());
  return out;
}

const frame = (m: Buffer): Buffer => Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m]);

const port = await freePort();
const udp = dgram.createSocket('udp4');
udp.on('message', (m, rinfo) => {
  const q = dnsPacket.decode(m);
  const answers = q.questions![0]!.type === 'SOA' ? [soa()] : [];
  udp.send(dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.AUTHORITATIVE_ANSWER, questions: q.questions, answers }), rinfo.port, rinfo.address);
});
await new Promise<void>((r) => udp.bind(port, '127.0.0.1', r));
const tcp = net.createServer((sock) => {
  sock.on('error', () => {});
  sock.once('data', (d: Buffer) => {
    const q = dnsPacket.decode(d.subarray(2));
    state.requests.push(q.questions![0]!.type);
    const all = records();
    const chunks: Buffer[] = [];
    for (let i = 0; i < all.length; i += 50) {
      chunks.push(frame(dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.AUTHORITATIVE_ANSWER, questions: i === 0 ? q.questions : [], answers: all.slice(i, i + 50) })));
    }
    if (state.cut) {
      sock.write(Buffer.concat(chunks.slice(0, chunks.length >> 1)));
      sock.destroy(); // halfway through
    } else {
      sock.end(Buffer.concat(chunks));
    }
  });
});
await new Promise<void>((r) => tcp.listen(port, '127.0.0.1', r));

const secondary = await startReplica({
  yaml: `server: { listen: [ { address: 127.0.0.1, port: 0 } ], dataDir: data }
zones:
  - { name: broken.test., type: secondary, primaries: [ { address: 127.0.0.1, port: ${port} } ] }
`,
});
t.teardown(async () => {
  await secondary.dispose();
  udp.close();
  tcp.close();
});

async function hostAddress(): Promise<string | undefined> {
  const r = dnsPacket.decode(await exchangeUdp(secondary.port, dnsPacket.encode({ type: 'query', id: 5, questions: [{ name: `h7.${ZONE}`, type: 'A' }] })));
  for (const a of r.answers!) if (a.type === 'A') return a.data;
  return undefined;
}

t.test('the first transfer is served', async (t) => {
  await secondary.waitLog((l) => l.msg === 'zone transferred' && l.serial === 1);
  t.equal(await hostAddress(), '10.0.7.1');
});

t.test('a transfer cut halfway (IXFR, then the AXFR fallback) changes nothing', async (t) => {
  state.serial = 2;
  state.cut = true;
  state.requests = [];
  await secondary.replication.secondary('broken.test.')!.refresh();
  t.same(state.requests, ['IXFR', 'AXFR'], 'IXFR first, then AXFR');
  t.equal(await hostAddress(), '10.0.7.1', 'still the old data');
  t.equal(secondary.store.get('broken.test.')!.serial, 1);
  t.equal(secondary.replication.counters.failures.get('broken.test.', 'failed'), 1);
  t.ok(secondary.logs.some((l) => l.msg === 'refresh from primary failed: 127.0.0.1:' + port + ': connection closed before the answer was complete'));
  t.notOk(secondary.logs.some((l) => l.msg === 'zone transferred' && l.serial === 2));
});

t.test('once the primary sends it whole, the new version is served', async (t) => {
  state.cut = false;
  await secondary.replication.secondary('broken.test.')!.refresh();
  t.equal(await hostAddress(), '10.0.7.2');
  t.equal(secondary.store.get('broken.test.')!.serial, 2);
});

t.test('an UPDATE for a secondary zone without allowUpdateForwarding is refused here', async (t) => {
  const { buildUpdate, rec } = await import('../fixtures/kea/update-client.js');
  const reply = await exchangeUdp(secondary.port, buildUpdate('broken.test.', [], [rec('x.broken.test. 60 IN A 192.0.2.1')]));
  t.equal(reply[3]! & 0xf, 5, 'REFUSED');
  t.equal(secondary.replication.counters.forwarded.get('broken.test.', 'refused'), 1);
});

t.test('a secondary refuses transfers of its zone unless allowTransfer says otherwise', async (t) => {
  const q = dnsPacket.encode({ type: 'query', id: 6, questions: [{ name: ZONE, type: 'IXFR' }], authorities: [soa()] });
  t.equal((await exchangeUdp(secondary.port, q))[3]! & 0xf, 5, 'REFUSED (no allowTransfer)');
});
