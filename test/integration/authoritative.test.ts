import t from 'tap';
import { createSocket } from 'node:dgram';
import dnsPacket from 'dns-packet';
import { startDaemon, exampleConfig, type Daemon } from '../helpers/daemon.js';
import { dig, kdigJson } from '../helpers/dig.js';

/**
 * The daemon answering the example zones, checked with the real `dig` and `kdig` over UDP and
 * TCP: flags, rcode and every section, per RFC 1034 §4.3.2, RFC 2308, RFC 4592 and RFC 8482.
 */
const bigZone = `$ORIGIN big.test.
$TTL 300
@ SOA ns.big.test. hostmaster.big.test. 1 3600 600 86400 60
  NS ns
ns A 192.0.2.1
${Array.from({ length: 60 }, (_, i) => `many A 198.51.100.${i + 1}`).join('\n')}
`;

let d: Daemon;
const H = '127.0.0.1';
t.before(async () => {
  d = await startDaemon({
    config: exampleConfig().replace('zones:\n', 'zones:\n  - { name: big.test., file: big.test.zone }\n'),
    copyZones: true,
    files: { 'big.test.zone': bigZone },
  });
});
t.teardown(() => d?.stop());

t.test('ready line lists listeners and each zone with serial and record count', async (t) => {
  const ready = d.logs.find((r) => r.msg === 'ready')!;
  const zones = ready.zones as { name: string; serial: number; records: number }[];
  t.same(zones.map((z) => z.name).sort(), ['1.168.192.in-addr.arpa.', 'big.test.', 'home.lan.']);
  t.equal(zones.find((z) => z.name === 'home.lan.')!.serial, 2024060101);
  t.ok(zones.every((z) => z.records > 0));
  t.same((ready.listeners as { protocol: string }[]).map((l) => l.protocol).sort(), ['tcp', 'udp']);
});

t.test('exact match: AA set, answer only, over UDP and TCP', async (t) => {
  for (const args of [[], ['+tcp']]) {
    const r = await dig(H, d.port, 'host1.home.lan', 'A', args);
    t.equal(r.status, 'NOERROR');
    t.ok(r.flags.includes('aa') && r.flags.includes('qr'), `flags ${r.flags}`);
    t.notOk(r.flags.includes('ra'), 'no recursion offered by an authoritative-only server');
    t.same(r.answer, ['host1.home.lan. 3600 IN A 192.168.1.10']);
    t.same(r.authority, []);
  }
});

t.test('question case is echoed and matching is case-insensitive', async (t) => {
  const r = await dig(H, d.port, 'HoSt1.HOME.lan', 'AAAA');
  t.equal(r.status, 'NOERROR');
  t.match(r.raw, /;HoSt1\.HOME\.lan\.\s+IN\s+AAAA/);
  // like BIND, the owner is compressed against the question, so it comes back in the question's case
  t.same(r.answer.map((l) => l.toLowerCase()), ['host1.home.lan. 3600 in aaaa fd00:1::10']);
});

t.test('CNAME chased inside the zone', async (t) => {
  const r = await dig(H, d.port, 'www.home.lan', 'A');
  t.same(r.answer, ['www.home.lan. 3600 IN CNAME host1.home.lan.', 'host1.home.lan. 3600 IN A 192.168.1.10']);
  t.ok(r.flags.includes('aa'));
});

t.test('wildcard synthesis uses the query name as owner', async (t) => {
  const r = await dig(H, d.port, 'grafana.apps.home.lan', 'A');
  t.equal(r.status, 'NOERROR');
  t.same(r.answer, ['grafana.apps.home.lan. 300 IN A 192.168.1.40']);
  const nodata = await dig(H, d.port, 'grafana.apps.home.lan', 'TXT');
  t.equal(nodata.status, 'NOERROR');
  t.same(nodata.answer, []);
  t.match(nodata.authority[0], /^home\.lan\. 300 IN SOA /);
});

t.test('NXDOMAIN and NODATA carry the SOA with TTL min(SOA TTL, MINIMUM)', async (t) => {
  const nx = await dig(H, d.port, 'nope.home.lan', 'A');
  t.equal(nx.status, 'NXDOMAIN');
  t.ok(nx.flags.includes('aa'));
  t.same(nx.answer, []);
  t.same(nx.authority, ['home.lan. 300 IN SOA ns1.home.lan. hostmaster.home.lan. 2024060101 10800 900 1209600 300']);
  const nodata = await dig(H, d.port, 'host1.home.lan', 'MX');
  t.equal(nodata.status, 'NOERROR');
  t.same(nodata.answer, []);
  t.equal(nodata.authority.length, 1);
  t.match(nodata.authority[0], /^home\.lan\. 300 IN SOA/);
});

t.test('empty non-terminal is NODATA, not NXDOMAIN', async (t) => {
  const r = await dig(H, d.port, '_tcp.home.lan', 'A');
  t.equal(r.status, 'NOERROR');
  t.same(r.answer, []);
});

t.test('delegation below a zone cut gives a referral with glue and AA clear', async (t) => {
  const r = await dig(H, d.port, 'web.k8s.home.lan', 'A', ['+norec']);
  t.equal(r.status, 'NOERROR');
  t.notOk(r.flags.includes('aa'));
  t.same(r.answer, []);
  t.same(r.authority.sort(), ['k8s.home.lan. 3600 IN NS ns1.k8s.home.lan.', 'k8s.home.lan. 3600 IN NS ns2.k8s.home.lan.']);
  t.same(r.additional.sort(), ['ns1.k8s.home.lan. 3600 IN A 192.168.1.50', 'ns2.k8s.home.lan. 3600 IN A 192.168.1.51']);
});

t.test('additional section addresses for MX and SRV targets', async (t) => {
  const mx = await dig(H, d.port, 'home.lan', 'MX');
  t.same(mx.answer, ['home.lan. 3600 IN MX 10 mail.home.lan.']);
  t.same(mx.additional, ['mail.home.lan. 3600 IN A 192.168.1.25']);
  const srv = await dig(H, d.port, '_imaps._tcp.home.lan', 'SRV');
  t.same(srv.answer, ['_imaps._tcp.home.lan. 3600 IN SRV 0 1 993 mail.home.lan.']);
  t.same(srv.additional, ['mail.home.lan. 3600 IN A 192.168.1.25']);
});

t.test('ANY over UDP is answered minimally (RFC 8482): one RRset, not everything', async (t) => {
  const r = await dig(H, d.port, 'nas.home.lan', 'ANY', ['+notcp']); // dig asks ANY over TCP unless told
  t.match(r.raw, /\(UDP\)/);
  t.equal(r.status, 'NOERROR');
  t.ok(r.answer.length >= 1);
  const types = new Set(r.answer.map((l) => l.split(' ')[3]));
  t.equal(types.size, 1, `one RRset type, got ${[...types]}`);
});

t.test('reverse zone PTR', async (t) => {
  const r = await dig(H, d.port, '10.1.168.192.in-addr.arpa', 'PTR');
  t.same(r.answer, ['10.1.168.192.in-addr.arpa. 3600 IN PTR host1.home.lan.']);
  const x = await dig(H, d.port, '-x', '192.168.1.20', []);
  t.match(x.raw, /20\.1\.168\.192\.in-addr\.arpa\.\s+3600\s+IN\s+PTR\s+nas\.home\.lan\./);
});

t.test('names outside every zone are REFUSED', async (t) => {
  const r = await dig(H, d.port, 'example.com', 'A');
  t.equal(r.status, 'REFUSED');
  t.same(r.answer, []);
});

t.test('EDNS: OPT echoed with our size 1232, DO preserved, version 1 gets BADVERS', async (t) => {
  const r = await dig(H, d.port, 'host1.home.lan', 'A', ['+dnssec', '+bufsize=4096']);
  t.match(r.opt.join('\n'), /EDNS: version: 0, flags: do; udp: 1232/);
  const plain = await dig(H, d.port, 'host1.home.lan', 'A', ['+noedns']);
  t.same(plain.opt, [], 'no OPT in the answer when the query had none');
  const bad = await dig(H, d.port, 'host1.home.lan', 'A', ['+edns=1', '+noednsnegotiation']);
  t.equal(bad.status, 'BADVERS');
  t.match(bad.opt.join('\n'), /version: 0/);
});

t.test('truncation: TC over UDP at 512 bytes without EDNS, the whole RRset over TCP', async (t) => {
  const udp = await dig(H, d.port, 'many.big.test', 'A', ['+noedns', '+ignore']);
  t.ok(udp.flags.includes('tc'), `flags ${udp.flags}`);
  t.same(udp.answer, [], 'no partial RRset');
  const edns = await dig(H, d.port, 'many.big.test', 'A', ['+bufsize=1232', '+ignore']);
  t.notOk(edns.flags.includes('tc'), '60 A records fit in 1232 bytes');
  t.equal(edns.answer.length, 60);
  const tcp = await dig(H, d.port, 'many.big.test', 'A', ['+tcp', '+noedns']);
  t.notOk(tcp.flags.includes('tc'));
  t.equal(tcp.answer.length, 60);
});

t.test('kdig over UDP and TCP agrees (RFC 8427 JSON)', async (t) => {
  for (const args of [[], ['+tcp']]) {
    const j = await kdigJson(H, d.port, 'nas.home.lan', 'A', args) as Record<string, unknown>;
    t.equal(j.RCODE, 0);
    t.equal(j.AA, 1);
    const answers = j.answerRRs as { NAME: string; TYPE: number; rdataA: string }[];
    t.same(answers.map((a) => [a.NAME, a.TYPE, a.rdataA]), [['nas.home.lan.', 1, '192.168.1.20']]);
  }
});

function rawExchange(msg: Buffer, waitMs = 400): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => { s.close(); resolve(null); }, waitMs);
    s.on('message', (m) => { clearTimeout(timer); s.close(); resolve(m); });
    s.send(msg, d.port, H);
  });
}

t.test('opcodes and malformed queries', async (t) => {
  const q = dnsPacket.encode({ type: 'query', id: 4242, questions: [{ type: 'A', name: 'host1.home.lan' }] });
  const iquery = Buffer.from(q);
  iquery[2] = (iquery[2]! & 0x87) | (1 << 3);
  const r1 = await rawExchange(iquery);
  t.ok(r1);
  t.equal(r1![3]! & 0xf, 4, 'IQUERY: NOTIMP');
  t.equal(r1!.readUInt16BE(0), 4242);
  const status = Buffer.from(q);
  status[2] = (status[2]! & 0x87) | (2 << 3);
  t.equal((await rawExchange(status))![3]! & 0xf, 4, 'STATUS: NOTIMP');
  const two = dnsPacket.encode({ type: 'query', id: 7, questions: [{ type: 'A', name: 'a.home.lan' }, { type: 'A', name: 'b.home.lan' }] });
  const r2 = await rawExchange(two);
  t.equal(r2![3]! & 0xf, 1, 'QDCOUNT 2: FORMERR');
  const none = Buffer.from(q.subarray(0, 12));
  none.writeUInt16BE(0, 4);
  t.equal((await rawExchange(none))![3]! & 0xf, 1, 'QDCOUNT 0: FORMERR');
  const resp = Buffer.from(q);
  resp[2]! |= 0x80;
  t.equal(await rawExchange(resp), null, 'a response sent to the server is dropped');
  t.equal(await rawExchange(Buffer.from([1, 2, 3])), null, 'a runt is dropped');
});
