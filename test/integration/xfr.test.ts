/**
 * Zone transfers served by horizond as primary, checked with dig and kdig over real sockets:
 * AXFR and IXFR signed with TSIG across many messages, the transfer ACL, IXFR over UDP, and a
 * zone large enough that the stream has to wait for the client to read.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { TsigKey } from '../../src/tsig/keyring.js';
import { buildUpdate, exchangeUdp, rec, sendUpdate } from '../fixtures/kea/update-client.js';
import { freePort, startReplica } from '../fixtures/xfr/replica.js';

const XFR_SECRET = 'eGZyIGtleSBmb3IgdGhlIGhvcml6b25kIHhmciB0ZXN0cw==';
const KEA_SECRET = 'a2VhIGtleSBmb3IgdGhlIGhvcml6b25kIHhmciB0ZXN0cw==';
const kea = new TsigKey({ name: 'kea.', algorithm: 'hmac-sha256', secret: KEA_SECRET });

const zone = ['$ORIGIN example.test.', '$TTL 300', '@ SOA ns hostmaster 10 3600 600 86400 60', '@ NS ns', 'ns A 192.0.2.1'];
for (let i = 0; i < 3000; i++) zone.push(`h${i} A 10.0.${i >> 8}.${i & 255}`, `h${i} TXT "filler so the zone spans many messages, host ${i}"`);

const big = ['$ORIGIN big.test.', '$TTL 300', '@ SOA ns hostmaster 1 3600 600 86400 60', '@ NS ns', 'ns A 192.0.2.1'];
for (let i = 0; i < 60_000; i++) big.push(`b${i} TXT "${'x'.repeat(100)} ${i}"`);

const port = await freePort();
const primary = await startReplica({
  yaml: `
server: { listen: [ { address: 127.0.0.1, port: ${port} } ], dataDir: data }
keys:
  - { name: xfr., secret: "${XFR_SECRET}" }
  - { name: kea., secret: "${KEA_SECRET}" }
zones:
  - name: example.test.
    file: example.test.zone
    update: { preset: kea, keys: [kea.], networks: [loopback] }
    allowTransfer: { keys: [xfr.] }
  - name: open.test.
    file: open.test.zone
    allowTransfer: { networks: [127.0.0.0/8] }
  - name: closed.test.
    file: open.test.zone
  - name: big.test.
    file: big.test.zone
    allowTransfer: { networks: [loopback] }
`,
  files: {
    'example.test.zone': zone.join('\n') + '\n',
    'big.test.zone': big.join('\n') + '\n',
    'open.test.zone': '$TTL 60\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\n',
  },
});
t.teardown(() => primary.dispose());

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve) => execFile(cmd, args, { timeout: 20_000, maxBuffer: 64 * 1024 * 1024 }, (_e, out, err) => resolve(out + err)));
}
const dig = (...args: string[]) => run('dig', ['@127.0.0.1', '-p', String(port), '+tries=1', '+time=5', ...args]);
const kdig = (...args: string[]) => run('kdig', ['@127.0.0.1', '-p', String(port), '+retry=0', '+timeout=5', ...args]);
const Y = `hmac-sha256:xfr.:${XFR_SECRET}`;
const RECORDS = 2 + 1 + 1 + 3000 * 2; // SOA twice, NS, ns A, hosts

t.test('AXFR signed with TSIG: dig and kdig verify every message and get the whole zone', async (t) => {
  const out = await dig('-y', Y, 'example.test.', 'AXFR');
  t.match(out, new RegExp(`XFR size: ${RECORDS} records \\(messages (\\d+),`));
  const messages = Number(/messages (\d+)/.exec(out)![1]);
  t.ok(messages > 10, `${messages} messages`);
  t.notMatch(out, /failed|could not|verify failure/i);
  t.match(out, /h2999\.example\.test\.\s+300\s+IN\s+TXT\s+"filler so the zone spans many messages, host 2999"/);
  const k = await kdig('-y', Y, 'example.test.', 'AXFR');
  t.match(k, new RegExp(`\\(\\d+ messages, ${RECORDS} records\\)`));
  t.notMatch(k, /WARNING|;; ERROR/);
  t.equal(primary.replication.counters.served.get('example.test.', 'axfr'), 2);
});

t.test('allowTransfer: no key, the wrong key, or a stranger network get REFUSED', async (t) => {
  t.match(await dig('example.test.', 'AXFR'), /Transfer failed|REFUSED/, 'unsigned');
  const other = await dig('-y', `hmac-sha256:kea.:${KEA_SECRET}`, 'example.test.', 'AXFR');
  t.match(other, /Transfer failed|REFUSED/, 'signed with a key not in allowTransfer');
  t.match(await dig('closed.test.', 'AXFR'), /Transfer failed|REFUSED/, 'no allowTransfer: nobody');
  t.match(await dig('open.test.', 'AXFR'), /XFR size: 4 records/, 'a network-only ACL needs no key');
  t.match(await dig('nosuch.test.', 'AXFR'), /Transfer failed|NOTAUTH/, 'a zone not served: NOTAUTH');
  t.ok(primary.replication.counters.refused.get('example.test.', 'refused') >= 2);
  t.ok(primary.logs.some((l) => l.msg === 'zone transfer refused by allowTransfer' && l.zone === 'example.test.'), 'logged');
});

t.test('IXFR: the differences since the client\'s serial, signed; the whole zone when history does not reach back', async (t) => {
  for (const host of ['pc1', 'pc2']) {
    const r = await sendUpdate(port, buildUpdate('example.test.', [], [rec(`${host}.example.test. 60 IN A 192.0.2.77`)]), kea);
    t.equal(r.rcode, 0, `update ${host} applied`);
  }
  const serial = primary.store.get('example.test.')!.serial;
  t.equal(serial, 12, 'two updates, two serials');
  const ixfr = await dig('-y', Y, 'example.test.', 'IXFR=10');
  t.match(ixfr, /pc1\.example\.test\.\s+60\s+IN\s+A\s+192\.0\.2\.77/);
  t.match(ixfr, /pc2\.example\.test\.\s+60\s+IN\s+A\s+192\.0\.2\.77/);
  t.match(ixfr, /XFR size: 8 records/, 'SOA 12, SOA 10, SOA 11, pc1, SOA 11, SOA 12, pc2, SOA 12');
  t.notMatch(ixfr, /h17\.example/, 'no unchanged record travels');
  const k = await kdig('-y', Y, 'example.test.', 'IXFR=11');
  t.match(k, /pc2\.example\.test\./);
  t.notMatch(k, /pc1\.example\.test\./, 'only what changed after serial 11');
  t.notMatch(k, /WARNING|;; ERROR/);
  t.match(await dig('-y', Y, 'example.test.', 'IXFR=3'), new RegExp(`XFR size: ${RECORDS + 2} records`), 'unknown serial: the whole zone');
  const up = await dig('-y', Y, 'example.test.', `IXFR=${serial}`);
  t.match(up, /XFR size: 1 records/, 'up to date: the SOA alone');
  t.equal(primary.replication.counters.served.get('example.test.', 'ixfr'), 2);
  t.equal(primary.replication.counters.served.get('example.test.', 'ixfr_full'), 1);
  t.equal(primary.replication.counters.served.get('example.test.', 'uptodate'), 1);
});

t.test('IXFR over UDP gets the current SOA alone; AXFR over UDP is not answered with data', async (t) => {
  const udp = await dig('+notcp', '-y', Y, 'example.test.', 'IXFR=10');
  t.match(udp, /\(UDP\)/);
  t.match(udp, /example\.test\.\s+300\s+IN\s+SOA\s+ns\.example\.test\. hostmaster\.example\.test\. 12 /);
  t.notMatch(udp, /pc1|pc2/, 'no differences over UDP');
  t.match(udp, /xfr\.\s+0\s+ANY\s+TSIG\s+hmac-sha256\. \d+ 300 32 \S+ \d+ NOERROR 0/, 'the SOA answer is signed');
  const q = dnsPacket.encode({ type: 'query', id: 9, questions: [{ name: 'open.test', type: 'AXFR' }] });
  const wire = await exchangeUdp(port, q);
  t.equal(wire[3]! & 0xf, 4, 'NOTIMP: allowed, but AXFR is TCP-only');
  t.equal(dnsPacket.decode(wire).answers!.length, 0);
});

t.test('a client that reads slowly gets the whole of a large zone (the stream waits, it is not cut)', async (t) => {
  const sock = net.connect({ host: '127.0.0.1', port });
  await once(sock, 'connect');
  const q = dnsPacket.encode({ type: 'query', id: 4242, questions: [{ name: 'big.test', type: 'AXFR' }] });
  const framed = Buffer.alloc(q.length + 2);
  framed.writeUInt16BE(q.length);
  q.copy(framed, 2);
  sock.pause();
  sock.write(framed);
  await new Promise((r) => setTimeout(r, 1500)); // the zone (about 7 MB) fits neither the server's output limit
  let buf = Buffer.alloc(0);
  let records = 0;
  let soas = 0;
  const done = new Promise<void>((resolve, reject) => {
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const m = dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
        records += m.answers!.length;
        soas += m.answers!.filter((a) => a.type === 'SOA').length;
        if (soas === 2) resolve();
      }
    });
    sock.on('close', () => reject(new Error(`connection closed after ${records} records`)));
  });
  sock.resume();
  await done;
  sock.destroy();
  t.equal(records, 60_000 + 4);
});
