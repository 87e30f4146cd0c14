/**
 * Regressions found with real clients (issue 12, item 11), each checked with the client that
 * found it against a starting daemon: header flags of error replies (dig), ANY over UDP and TCP
 * (dig), update policy `types: ["*"]` and the RFC 2136 deletes that are ignored under
 * protectStatic (nsupdate).
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dig } from '../helpers/dig.js';
import { ROOT, startDaemon, type Daemon } from '../helpers/daemon.js';

const SECRET = 'Y2xpZW50IGNvbXBsaWFuY2UgdGVzdCBrZXkgMjAyNg==';
const H = '127.0.0.1';

let s: Daemon;
t.before(async () => {
  s = await startDaemon({
    config: `server: { listen: [ { address: ${H}, port: 0, protocols: [udp, tcp] } ], dataDir: data }
metrics: { enabled: false }
keys: [ { name: admin., secret: "${SECRET}" } ]
zones:
  - name: home.lan.
    file: home.lan.zone
    update: { keys: [admin.], networks: [127.0.0.1], protectStatic: true, rules: [ { name: { zone: true }, types: ["*"] } ] }
  - name: b.test.
    file: b.zone
    update: { keys: [admin.], networks: [127.0.0.1], rules: [ { name: { zone: true }, types: [ANY] } ] }
`,
    files: {
      'home.lan.zone': readFileSync(join(ROOT, 'zones/home.lan.zone'), 'utf8'),
      'b.zone': '$ORIGIN b.test.\n@ 3600 SOA ns.b.test. h.b.test. 1 3600 600 86400 60\n@ 3600 NS ns\nns 3600 A 192.0.2.53\n',
    },
  });
});
t.teardown(() => s?.stop());

interface Run { code: number | null; out: string }
function nsupdate(zone: string, lines: string[]): Promise<Run> {
  const script = [`server ${H} ${s.port}`, `zone ${zone}`, ...lines, 'send', ''].join('\n');
  return new Promise((resolve) => {
    const c = spawn('nsupdate', ['-y', `hmac-sha256:admin.:${SECRET}`], { timeout: 20_000 });
    let out = '';
    c.stdout.on('data', (d) => { out += d; });
    c.stderr.on('data', (d) => { out += d; });
    c.on('close', (code) => resolve({ code, out }));
    c.stdin.end(script);
  });
}
const rcode = (r: Run): string => (r.code === 0 ? 'NOERROR' : /update failed: (\w+)/.exec(r.out)?.[1] ?? `exit ${r.code}: ${r.out}`);
const rdata = async (name: string, type: string): Promise<string[]> =>
  (await dig(H, s.port, name, type)).answer.map((l) => l.split(' ').slice(3).join(' ')).sort();

t.test('an error reply to a non-QUERY opcode does not echo RD (dig +opcode=15 +rec gets qr only, as from BIND)', async (t) => {
  const r = await dig(H, s.port, 'home.lan.', 'SOA', ['+opcode=15', '+rec']);
  t.equal(r.status, 'NOTIMP');
  t.same(r.flags, ['qr'], 'no rd in the reply');
  const tcp = await dig(H, s.port, 'home.lan.', 'SOA', ['+opcode=15', '+rec', '+tcp']);
  t.equal(tcp.status, 'NOTIMP');
  t.same(tcp.flags, ['qr'], 'no rd over TCP either');
  t.match(r.raw, /opcode: RESERVED15/, 'the opcode is echoed');
  const q = await dig(H, s.port, 'home.lan.', 'TYPE65280', ['+rec', '+noedns', '+opcode=0', '+qid=1', '+header-only']);
  t.ok(q.flags.includes('rd'), 'a QUERY still gets RD echoed');
});

t.test('ANY: the RFC 8482 minimal answer over UDP, every RRset at the name over TCP', async (t) => {
  const udp = await dig(H, s.port, 'home.lan.', 'ANY', ['+notcp']); // dig sends ANY over TCP unless told
  t.match(udp.raw, /\(UDP\)/, 'asked over UDP');
  t.equal(udp.status, 'NOERROR');
  t.same([...new Set(udp.answer.map((l) => l.split(' ')[3]))], ['NS'], 'UDP: one RRset (the lowest type)');
  const tcp = await dig(H, s.port, 'home.lan.', 'ANY', ['+tcp']);
  t.equal(tcp.status, 'NOERROR');
  t.match(tcp.raw, /\(TCP\)/, 'asked over TCP');
  t.ok(tcp.flags.includes('aa'));
  const types = tcp.answer.map((l) => l.split(' ')[3]!);
  t.same([...new Set(types)].sort(), ['CAA', 'MX', 'NS', 'SOA', 'TXT'], 'TCP: every RRset at the apex');
  t.equal(types.length, 7, 'SOA, 2 NS, MX, TXT, 2 CAA');
  const host = await dig(H, s.port, 'nas.home.lan.', 'ANY', ['+tcp']);
  t.same(host.answer.map((l) => l.split(' ')[3]).sort(), ['A', 'AAAA', 'TXT']);
  const www = await dig(H, s.port, 'www.home.lan.', 'ANY', ['+tcp']);
  t.same(www.answer.map((l) => l.split(' ')[3]), ['CNAME'], 'a CNAME owner answers its CNAME, not the target');
  const none = await dig(H, s.port, 'nothing.home.lan.', 'ANY', ['+tcp']);
  t.equal(none.status, 'NXDOMAIN');
});

t.test('update policy: types ["*"] permits any data type; ANY alone permits only whole-name deletes', async (t) => {
  t.equal(rcode(await nsupdate('home.lan.', ['update add any1.home.lan. 300 SSHFP 1 1 0123456789abcdef0123456789abcdef01234567', 'update add any1.home.lan. 300 TXT "star"'])), 'NOERROR');
  t.same(await rdata('any1.home.lan.', 'SSHFP'), ['SSHFP 1 1 0123456789ABCDEF0123456789ABCDEF01234567']);
  t.same(await rdata('any1.home.lan.', 'TXT'), ['TXT "star"']);
  t.equal(rcode(await nsupdate('home.lan.', ['update delete any1.home.lan.'])), 'NOERROR', '"*" permits delete-all too');
  t.equal((await dig(H, s.port, 'any1.home.lan.', 'TXT')).status, 'NXDOMAIN');

  t.equal(rcode(await nsupdate('b.test.', ['update add x.b.test. 300 A 192.0.2.7'])), 'REFUSED', 'ANY does not mean any type');
  t.equal(rcode(await nsupdate('b.test.', ['update delete x.b.test.'])), 'NOERROR', 'ANY permits deleting all RRsets at a name');
});

t.test('protectStatic: deleting the apex SOA or all apex NS is ignored with NOERROR (RFC 2136 §3.4.2.3/§3.4.2.4, as BIND)', async (t) => {
  const soa = await rdata('home.lan.', 'SOA');
  const ns = await rdata('home.lan.', 'NS');
  t.equal(ns.length, 2);
  t.equal(rcode(await nsupdate('home.lan.', ['update delete home.lan. SOA'])), 'NOERROR', 'apex SOA delete');
  t.equal(rcode(await nsupdate('home.lan.', ['update delete home.lan. NS'])), 'NOERROR', 'apex NS RRset delete');
  t.equal(rcode(await nsupdate('home.lan.', ['update delete home.lan. SOA', 'update delete home.lan. NS'])), 'NOERROR', 'both in one update');
  t.same(await rdata('home.lan.', 'SOA'), soa, 'the SOA is still there, serial unchanged');
  t.same(await rdata('home.lan.', 'NS'), ns, 'both NS are still there');
  t.equal(rcode(await nsupdate('home.lan.', ['update delete home.lan. MX'])), 'REFUSED', 'other static apex data stays protected');
  t.equal(rcode(await nsupdate('home.lan.', ['update delete home.lan. NS ns1.home.lan.'])), 'REFUSED', 'deleting one static NS record is a change: refused');
  t.equal(rcode(await nsupdate('home.lan.', ['update delete host1.home.lan. A'])), 'REFUSED', 'static names below the apex too');
  t.same(await rdata('host1.home.lan.', 'A'), ['A 192.168.1.10']);
});
