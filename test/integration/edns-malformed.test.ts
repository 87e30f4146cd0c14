import t from 'tap';
import dgram from 'node:dgram';
import { startDaemon, type Daemon } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';

/**
 * Issue #15, finding 3: malformed EDNS options get FORMERR (RFC 7871 §6, RFC 7873 §5.2.2), as
 * BIND answers, instead of being ignored. Probes with dig's `+ednsopt` (genreport style) and, for
 * framing dig cannot produce, raw packets.
 */

let d: Daemon;
t.before(async () => {
  d = await startDaemon({
    copyZones: true,
    config: `server:
  listen:
    - { address: 127.0.0.1, port: 0 }
log: { level: info }
zones:
  - { name: home.lan., file: zones/home.lan.zone }
`,
  });
});
t.teardown(() => d?.stop());

const zeros = (n: number): string => '00'.repeat(n);

const FORMERR: Array<[string, string]> = [
  ['COOKIE of 5 bytes', `10:${'01'.repeat(5)}`],
  ['COOKIE of 12 bytes (between 9 and 15)', `10:${'01'.repeat(12)}`],
  ['COOKIE of 41 bytes', `10:${'01'.repeat(41)}`],
  ['COOKIE empty', '10'],
  ['ECS family 3', '8:00031800c00002'],
  ['ECS IPv4 source prefix 33', `8:00012100${'c0000201'}00`],
  ['ECS IPv6 source prefix 129', `8:00028100${zeros(17)}`],
  ['ECS scope prefix not 0 in a query', '8:00011808c00002'],
  ['ECS extra address bytes', '8:00011800c0000201'],
  ['ECS bits set beyond the prefix', '8:00011700c00003'],
  ['ECS shorter than 4 bytes', '8:000118'],
  ['ECS family 0 with a prefix', '8:00000800ff'],
  ['TCP keepalive with a timeout in a query', '11:0001'],
];

for (const [what, opt] of FORMERR) {
  t.test(`${what}: FORMERR with an OPT record`, async (t) => {
    const r = await dig('127.0.0.1', d.port, 'host1.home.lan', 'A', [`+ednsopt=${opt}`]);
    t.equal(r.status, 'FORMERR', `+ednsopt=${opt}`);
    t.ok(r.opt.some((l) => /EDNS: version: 0/.test(l)), 'the FORMERR carries OPT');
    t.same(r.answer, []);
  });
}

const FINE: Array<[string, string[]]> = [
  ['a client cookie', ['+cookie']],
  ['ECS 192.0.2.0/24', ['+subnet=192.0.2.0/24']],
  ['ECS 2001:db8::/56', ['+subnet=2001:db8::/56']],
  ['ECS 0/0 family 0', ['+ednsopt=8:00000000']],
  ['an unknown option', ['+ednsopt=65001:abcd']],
  ['an empty TCP keepalive', ['+ednsopt=11', '+tcp']],
  ['padding', ['+padding=128']],
];

for (const [what, args] of FINE) {
  t.test(`${what}: answered`, async (t) => {
    const r = await dig('127.0.0.1', d.port, 'host1.home.lan', 'A', args);
    t.equal(r.status, 'NOERROR', args.join(' '));
    t.match(r.answer.join('\n'), /192\.168\.1\.10/);
  });
}

function rawQuery(optRdata: Buffer): Buffer {
  const head = Buffer.from('12340000000100000000000105686f73743104686f6d65036c616e0000010001', 'hex');
  const opt = Buffer.alloc(11);
  opt.writeUInt16BE(41, 1);
  opt.writeUInt16BE(1232, 3);
  opt.writeUInt16BE(optRdata.length, 9);
  return Buffer.concat([head, opt, optRdata]);
}

function udpAsk(msg: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => { s.close(); reject(new Error('no answer')); }, 3000);
    s.on('message', (m) => { clearTimeout(timer); s.close(); resolve(m); });
    s.send(msg, d.port, '127.0.0.1');
  });
}

t.test('option framing that does not fill the OPT RDATA: FORMERR', async (t) => {
  const cases: Array<[string, Buffer]> = [
    ['option length past the end', Buffer.from('000a0010' + '01'.repeat(8), 'hex')],
    ['three stray bytes after the last option', Buffer.from('fde9000000aabb', 'hex')],
  ];
  for (const [what, rdata] of cases) {
    const r = await udpAsk(rawQuery(rdata));
    t.equal(r.readUInt16BE(0), 0x1234, `${what}: same ID`);
    t.equal(r[3]! & 0xf, 1, `${what}: FORMERR`);
  }
  const ok = await udpAsk(rawQuery(Buffer.alloc(0)));
  t.equal(ok[3]! & 0xf, 0, 'an empty OPT is fine');
});
