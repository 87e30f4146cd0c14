import t from 'tap';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import dnsPacket from 'dns-packet';
import { startDaemon, exampleConfig } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';

/**
 * Sends 100,000+ random and mutated messages over UDP and TCP, then checks the daemon still
 * answers correctly. The seed is printed so a failure can be replayed: FUZZ_SEED=<n> npm test.
 */
const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
t.comment(`fuzz seed ${seed} (replay with FUZZ_SEED=${seed})`);

function prng(s: number): () => number {
  let x = s >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 0x100000000;
  };
}
const rnd = prng(seed);
const int = (n: number) => Math.floor(rnd() * n);

const seeds: Buffer[] = [
  dnsPacket.encode({ type: 'query', id: 1, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name: 'host1.home.lan' }] }),
  dnsPacket.encode({ type: 'query', id: 2, questions: [{ type: 'MX', name: 'home.lan' }], additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, options: [{ code: 8, data: Buffer.from([0, 1, 24, 0, 192, 168, 1]) }] } as never] }),
  dnsPacket.encode({ type: 'query', id: 3, questions: [{ type: 'PTR', name: '10.1.168.192.in-addr.arpa' }] }),
  dnsPacket.encode({ type: 'query', id: 4, questions: [{ type: 'ANY' as never, name: 'x.apps.home.lan' }] }),
  dnsPacket.encode({ type: 'response', id: 5, questions: [{ type: 'A', name: 'a.home.lan' }], answers: [{ type: 'A', name: 'a.home.lan', data: '1.2.3.4' }] }),
];

function mutate(): Buffer {
  const kind = int(6);
  if (kind === 0) {
    const b = Buffer.allocUnsafe(int(600));
    for (let i = 0; i < b.length; i++) b[i] = int(256);
    return b;
  }
  const base = Buffer.from(seeds[int(seeds.length)]!);
  if (kind === 1) { // bit flips
    for (let i = 0, n = 1 + int(8); i < n; i++) base[int(base.length)]! ^= 1 << int(8);
    return base;
  }
  if (kind === 2) return base.subarray(0, int(base.length)); // truncation
  if (kind === 3) { // count fields
    base.writeUInt16BE(int(65536), 4 + 2 * int(4));
    return base;
  }
  if (kind === 4) { // compression pointer somewhere in the question
    const at = 12 + int(Math.max(1, base.length - 13));
    base[at] = 0xc0 | int(64);
    if (at + 1 < base.length) base[at + 1] = int(256);
    return base;
  }
  const extra = Buffer.allocUnsafe(int(64)); // trailing garbage / random records
  for (let i = 0; i < extra.length; i++) extra[i] = int(256);
  return Buffer.concat([base, extra]);
}

t.test('the daemon survives random and mutated messages over UDP and TCP', async (t) => {
  const d = await startDaemon({ config: exampleConfig(), copyZones: true });
  t.teardown(() => d.stop());
  const port = d.port;

  const udp = createSocket('udp4');
  let replies = 0;
  let undecodable = 0;
  udp.on('message', (m) => {
    replies++;
    try { dnsPacket.decode(m); } catch { undecodable++; }
    if ((m[2]! & 0x80) === 0) undecodable++; // every reply must be a response
  });
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
  t.teardown(() => udp.close());

  const UDP_COUNT = 100_000;
  for (let sent = 0; sent < UDP_COUNT; sent += 500) {
    for (let i = 0; i < 500; i++) udp.send(mutate(), port, '127.0.0.1');
    await new Promise((r) => setImmediate(r));
    if (sent % 10000 === 0) await new Promise((r) => setTimeout(r, 5)); // let the server breathe a little
  }
  await new Promise((r) => setTimeout(r, 500));
  t.comment(`UDP: ${UDP_COUNT} sent, ${replies} replies`);
  t.equal(undecodable, 0, 'every reply is a well-formed DNS response');
  t.ok(replies > 0, 'malformed queries with a readable header got FORMERR replies');

  // TCP: framed garbage on a handful of connections; the server may close them, never crash
  const TCP_COUNT = 5_000;
  let tcpSent = 0;
  while (tcpSent < TCP_COUNT) {
    await new Promise<void>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => resolve());
      s.on('close', () => resolve());
      s.on('data', () => { /* answers or nothing */ });
      s.on('connect', () => {
        const parts: Buffer[] = [];
        for (let i = 0; i < 500 && tcpSent < TCP_COUNT; i++, tcpSent++) {
          const m = mutate();
          const len = Buffer.alloc(2);
          len.writeUInt16BE(rnd() < 0.05 ? int(65536) : m.length);
          parts.push(len, m);
        }
        s.end(Buffer.concat(parts));
        setTimeout(() => s.destroy(), 300);
      });
    });
  }
  t.comment(`TCP: ${TCP_COUNT} framed messages sent`);

  t.equal(d.proc.exitCode, null, 'the process is still running');
  const r = await dig('127.0.0.1', port, 'host1.home.lan', 'A');
  t.equal(r.status, 'NOERROR');
  t.ok(r.flags.includes('aa'));
  t.match(r.answer.join('\n'), /host1\.home\.lan\.\s+\d+\s+IN\s+A\s+192\.168\.1\.10/);
  const tcp = await dig('127.0.0.1', port, 'host1.home.lan', 'A', ['+tcp']);
  t.equal(tcp.status, 'NOERROR');
});
