/**
 * RFC 2136 updates from the real clients, `nsupdate` (BIND 9) and `knsupdate` (Knot), signed with
 * TSIG, against the update path (accept → tsig → update → authoritative), checked with `dig`.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dig } from '../helpers/dig.js';
import { ROOT, startDaemon, type Daemon } from '../helpers/daemon.js';

const SECRET = 'ZHluYW1pYyB1cGRhdGUgaW50ZXJvcCB0ZXN0IGtleSAyMDI2';
const ADMIN = 'YWRtaW4ga2V5IGZvciBob3Jpem9uZCB1cGRhdGUgdGVzdHMgd2l0aCBzaGE1MTI=';
const H = '127.0.0.1';

let s: Daemon;
t.before(async () => {
  s = await startDaemon({
    config: `server: { listen: [ { address: ${H}, port: 0, protocols: [udp, tcp] } ], dataDir: data }
metrics: { listen: "127.0.0.1:0" }
networks: { admins: [127.0.0.1] }
keys:
  - { name: kea-ddns., secret: "${SECRET}" }
  - { name: admin., algorithm: hmac-sha512, secret: "${ADMIN}" }
zones:
  - name: home.lan.
    file: home.lan.zone
    update:
      keys: [kea-ddns., admin.]
      networks: [admins]
      rules: [ { name: { zone: true }, types: [A, AAAA, TXT, MX, SRV, CNAME, DHCID, ANY] } ]
  - { name: 1.168.192.in-addr.arpa., file: rev.zone, update: { preset: kea, keys: [kea-ddns.], networks: [admins] } }
`,
    files: {
      'home.lan.zone': readFileSync(join(ROOT, 'zones/home.lan.zone'), 'utf8'),
      'rev.zone': readFileSync(join(ROOT, 'zones/1.168.192.in-addr.arpa.zone'), 'utf8'),
    },
  });
});
t.teardown(() => s?.stop());

interface Run { code: number | null; out: string }
function sh(cmd: string, args: string[], input: string): Promise<Run> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { timeout: 20_000 });
    let out = '';
    c.stdout.on('data', (d) => { out += d; });
    c.stderr.on('data', (d) => { out += d; });
    c.on('close', (code) => resolve({ code, out }));
    c.stdin.end(input);
  });
}

type Client = 'nsupdate' | 'knsupdate';
const KEY = `hmac-sha256:kea-ddns.:${SECRET}`;
/** Runs one update (a list of nsupdate-syntax lines, `send` appended) with the given client. */
function update(client: Client, lines: string[], o: { key?: string | null; zone?: string; extra?: string[]; local?: string } = {}): Promise<Run> {
  const key = o.key === undefined ? KEY : o.key;
  const script = [`server ${H} ${s.port}`, ...(o.local ? [`local ${o.local}`] : []), `zone ${o.zone ?? 'home.lan.'}`, ...lines, 'send', ''].join('\n');
  return sh(client, [...(key ? ['-y', key] : []), ...(o.extra ?? [])], script);
}
/** The RCODE name the client reports, or NOERROR on success. */
function outcome(client: Client, r: Run): string {
  if (r.code === 0) return 'NOERROR';
  const m = client === 'nsupdate' ? /update failed: (\w+(?:\(\w+\))?)/.exec(r.out) : /status: (\w+)/.exec(r.out);
  return m ? m[1]! : `exit ${r.code}: ${r.out}`;
}
const answers = async (name: string, type: string): Promise<string[]> => (await dig(H, s.port, name, type)).answer.map((l) => l.split(' ').slice(4).join(' ')).sort();
const serial = async (): Promise<number> => Number((await answers('home.lan.', 'SOA'))[0]!.split(' ')[2]);

for (const client of ['nsupdate', 'knsupdate'] as const) {
  const p = client === 'nsupdate' ? 'ns' : 'kn';
  t.test(`${client}: signed adds of A, AAAA, TXT, MX, SRV, CNAME; one serial step per update`, async (t) => {
    const before = await serial();
    const r = await update(client, [
      `update add ${p}-host.home.lan. 300 A 192.168.1.201`,
      `update add ${p}-host.home.lan. 300 AAAA fd00:1::201`,
      `update add ${p}-host.home.lan. 300 TXT "added by ${client}"`,
      `update add ${p}-mx.home.lan. 300 MX 10 ${p}-host.home.lan.`,
      `update add _ldap._tcp.${p}-host.home.lan. 300 SRV 0 5 389 ${p}-host.home.lan.`,
      `update add ${p}-alias.home.lan. 300 CNAME ${p}-host.home.lan.`,
    ]);
    t.equal(outcome(client, r), 'NOERROR', r.out);
    t.same(await answers(`${p}-host.home.lan`, 'A'), ['192.168.1.201']);
    t.same(await answers(`${p}-host.home.lan`, 'AAAA'), ['fd00:1::201']);
    t.same(await answers(`${p}-host.home.lan`, 'TXT'), [`"added by ${client}"`]);
    t.same(await answers(`${p}-mx.home.lan`, 'MX'), [`10 ${p}-host.home.lan.`]);
    t.same(await answers(`_ldap._tcp.${p}-host.home.lan`, 'SRV'), [`0 5 389 ${p}-host.home.lan.`]);
    t.same(await answers(`${p}-alias.home.lan`, 'CNAME'), [`${p}-host.home.lan.`]);
    t.equal(await serial(), before + 1, 'one update, one serial step');
    t.equal(outcome(client, await update(client, [`update add ${p}-host.home.lan. 300 A 192.168.1.202`])), 'NOERROR');
    t.equal(await serial(), before + 2);
    t.same(await answers(`${p}-host.home.lan`, 'A'), ['192.168.1.201', '192.168.1.202']);
  });

  t.test(`${client}: every prerequisite kind, passing and failing with its RCODE`, async (t) => {
    const n = `${p}-pre.home.lan.`;
    const cases: [string[], string][] = [
      [[`prereq nxdomain ${n}`], 'NOERROR'],
      [[`prereq yxdomain ${n}`], 'NXDOMAIN'],
      [[`prereq nxrrset ${n} A`], 'NOERROR'],
      [[`prereq yxrrset ${n} A`], 'NXRRSET'],
    ];
    for (const [pre, want] of cases) {
      const r = await update(client, [...pre, `update add ${p}-probe.home.lan. 60 TXT "x"`]);
      t.equal(outcome(client, r), want, `${pre.join('; ')} on a missing name`);
    }
    t.equal(outcome(client, await update(client, [`update add ${n} 60 A 192.168.1.210`, `update add ${n} 60 A 192.168.1.211`])), 'NOERROR');
    const existing: [string[], string][] = [
      [[`prereq nxdomain ${n}`], 'YXDOMAIN'],
      [[`prereq yxdomain ${n}`], 'NOERROR'],
      [[`prereq nxrrset ${n} A`], 'YXRRSET'],
      [[`prereq yxrrset ${n} A`], 'NOERROR'],
      [[`prereq yxrrset ${n} A 192.168.1.210`, `prereq yxrrset ${n} A 192.168.1.211`], 'NOERROR'],
      [[`prereq yxrrset ${n} A 192.168.1.210`], 'NXRRSET'],
      [[`prereq yxrrset ${n} AAAA`], 'NXRRSET'],
    ];
    for (const [pre, want] of existing) {
      const r = await update(client, [...pre, `update add ${p}-probe.home.lan. 60 TXT "y"`]);
      t.equal(outcome(client, r), want, `${pre.join('; ')} on an existing name`);
    }
  });

  t.test(`${client}: delete one RR, an RRset, and every RRset at a name`, async (t) => {
    const n = `${p}-del.home.lan.`;
    t.equal(outcome(client, await update(client, [`update add ${n} 60 A 192.168.1.220`, `update add ${n} 60 A 192.168.1.221`, `update add ${n} 60 TXT "t"`, `update add ${n} 60 AAAA fd00:1::220`])), 'NOERROR');
    t.equal(outcome(client, await update(client, [`update delete ${n} A 192.168.1.220`])), 'NOERROR');
    t.same(await answers(n, 'A'), ['192.168.1.221'], 'one RR gone');
    t.equal(outcome(client, await update(client, [`update delete ${n} TXT`])), 'NOERROR');
    t.same(await answers(n, 'TXT'), [], 'RRset gone');
    t.same(await answers(n, 'AAAA'), ['fd00:1::220'], 'the others stay');
    t.equal(outcome(client, await update(client, [`update delete ${n}`])), 'NOERROR');
    t.equal((await dig(H, s.port, n, 'A')).status, 'NXDOMAIN', 'the name is gone');
  });
}

t.test('refusals: unsigned, wrong secret, unknown key, wrong network, outside the zone, unknown zone', async (t) => {
  const add = ['update add refused.home.lan. 60 A 192.168.1.230'];
  for (const client of ['nsupdate', 'knsupdate'] as const) {
    t.equal(outcome(client, await update(client, add, { key: null })), 'REFUSED', `${client}: unsigned`);
    const wrong = await update(client, add, { key: 'hmac-sha256:kea-ddns.:d3Jvbmcgc2VjcmV0IGZvciB0aGUga2V5' });
    t.match(outcome(client, wrong), client === 'nsupdate' ? 'NOTAUTH(BADSIG)' : 'BADSIG', `${client}: wrong secret`);
    const unknown = await update(client, add, { key: `hmac-sha256:intruder.:${SECRET}` });
    t.match(outcome(client, unknown), client === 'nsupdate' ? 'NOTAUTH(BADKEY)' : 'BADKEY', `${client}: unknown key`);
    t.equal(outcome(client, await update(client, ['update add x.example.com. 60 A 192.0.2.1'])), 'NOTZONE', `${client}: out of zone`);
    t.equal(outcome(client, await update(client, ['update add x.example.com. 60 A 192.0.2.1'], { zone: 'example.com.' })), 'NOTAUTH', `${client}: unknown zone`);
  }
  // nsupdate binds its source address with `local`; the policy allows only 127.0.0.1.
  t.equal(outcome('nsupdate', await update('nsupdate', add, { local: '127.0.0.2' })), 'REFUSED', 'wrong network');
  t.equal((await dig(H, s.port, 'refused.home.lan', 'A')).status, 'NXDOMAIN', 'none of them changed anything');
  const lines = s.logs.filter((l) => l.component === 'update' && l.reason === 'network');
  t.equal(lines.length, 1, 'one log line for the refused network');
  t.match(lines[0], { client: '127.0.0.2', key: 'kea-ddns.', zone: 'home.lan.', rcode: 'REFUSED' });
  const ready = s.logs.find((r) => r.msg === 'ready')!;
  const m = ready.metrics as { address: string; port: number };
  const scrape = await (await fetch(`http://${m.address}:${m.port}/metrics`)).text();
  const metric = (line: RegExp): number => Number(line.exec(scrape)?.[1] ?? NaN);
  t.ok(metric(/^horizond_update_refusals_total\{reason="unsigned"\} (\d+)$/m) >= 2, 'unsigned refusals counted');
  t.ok(metric(/^horizond_tsig_failures_total\{reason="badsig"\} (\d+)$/m) >= 2, 'BADSIG counted');
  t.ok(metric(/^horizond_tsig_failures_total\{reason="badkey"\} (\d+)$/m) >= 2, 'BADKEY counted');
});

t.test('static names are protected; the reverse zone takes only what the kea preset allows', async (t) => {
  t.equal(outcome('nsupdate', await update('nsupdate', ['update delete nas.home.lan.'])), 'REFUSED');
  t.equal(outcome('nsupdate', await update('nsupdate', ['update add nas.home.lan. 60 A 192.168.1.66'])), 'REFUSED');
  t.same(await answers('nas.home.lan', 'A'), ['192.168.1.20']);
  t.match(s.logs.filter((l) => l.reason === 'static').at(-1), { msg: /nas\.home\.lan\. is defined in the zone file/ });
  const rev = { zone: '1.168.192.in-addr.arpa.' };
  t.equal(outcome('nsupdate', await update('nsupdate', ['update add 77.1.168.192.in-addr.arpa. 60 PTR pc.home.lan.'], rev)), 'NOERROR');
  t.equal(outcome('nsupdate', await update('nsupdate', ['update add 77.1.168.192.in-addr.arpa. 60 TXT "no"'], rev)), 'REFUSED');
  t.same(await answers('77.1.168.192.in-addr.arpa', 'PTR'), ['pc.home.lan.']);
});

t.test('UPDATE over TCP, and signed queries answered signed', async (t) => {
  t.equal(outcome('nsupdate', await update('nsupdate', ['update add tcp.home.lan. 60 A 192.168.1.240'], { extra: ['-v'] })), 'NOERROR');
  const r = await dig(H, s.port, 'tcp.home.lan', 'A', ['-y', KEY]);
  t.same(r.answer, ['tcp.home.lan. 60 IN A 192.168.1.240']);
  t.match(r.raw, /TSIG PSEUDOSECTION/);
  t.notMatch(r.raw, /Couldn't verify|could not be validated/);
  const bad = await dig(H, s.port, 'tcp.home.lan', 'A', ['-y', 'hmac-sha256:kea-ddns.:d3Jvbmcgc2VjcmV0IGZvciB0aGUga2V5']);
  t.equal(bad.status, 'NOTAUTH');
});
