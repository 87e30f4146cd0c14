/**
 * The console's HTTP API against the real daemon: tokens (401 without a hint, 403 for scope,
 * zone lists and policy, 429 after repeated failures), record changes that go through the RFC
 * 2136 engine (resolvable with dig, shown by `horizond zone dump`, transferred by AXFR), the
 * Technitium-compatible routes as lego (form POST) and acme.sh (GET) call them, leases after an
 * nsupdate signed like Kea's, cache lookup and flush, the OpenAPI document and the metrics.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { dig } from '../helpers/dig.js';
import { MAIN, startDaemon, type Daemon } from '../helpers/daemon.js';
import { FakeUpstream, aRecord } from '../helpers/fake-upstream.js';

const run = promisify(execFile);
const SECRET = 'fjku5gwTzpzeoWFWAHF5VaFp8iMpR14Y8/STl8bbnmY=';
const ADMIN = 'admin-token-0123456789abcdef';
const IPAM = 'phpipam-token-0123456789abcdef';
const VIEWER = 'viewer-token-0123456789abcdef';
const H = '127.0.0.1';

function config(upstreamPort: number): string {
  return `server:
  listen: [{ address: 127.0.0.1, port: 0 }]
  dataDir: data
log: { level: info }
metrics: { enabled: true, listen: "127.0.0.1:0" }
networks: { admin: [127.0.0.0/8], elsewhere: [192.0.2.0/24] }
keys:
  - { name: kea-ddns., secret: "${SECRET}" }
console:
  enabled: true
  listen: "127.0.0.1:0"
  tokens:
    - { name: admin, secretFile: admin.tok, scope: write }
    - { name: phpipam, secretFile: ipam.tok, scope: write, zones: [1.168.192.in-addr.arpa.] }
    - { name: viewer, secretFile: viewer.tok }
forward:
  upstreams: [{ address: 127.0.0.1, port: ${upstreamPort} }]
zones:
  - name: home.lan.
    file: zones/home.lan.zone
    allowTransfer: { networks: [loopback] }
    update:
      preset: kea
      keys: [kea-ddns.]
      tokens: [admin, phpipam]
      networks: [admin]
      rules: [ { name: { zone: true }, types: [A, AAAA, TXT, CNAME] } ]
  - name: 1.168.192.in-addr.arpa.
    file: zones/1.168.192.in-addr.arpa.zone
    update: { preset: kea, keys: [kea-ddns.], tokens: [admin, phpipam], networks: [admin] }
  - name: far.lan.
    file: zones/home.lan.zone
    update: { preset: none, tokens: [admin], networks: [elsewhere], rules: [ { name: { zone: true }, types: [A] } ] }
`;
}

let d: Daemon;
let base: string;
let up: FakeUpstream;

t.before(async () => {
  up = await FakeUpstream.start();
  up.set('cached.example.', { answer: [aRecord('cached.example.', '198.51.100.7', 300)] });
  d = await startDaemon({
    config: config(up.port).replace('far.lan.\n    file: zones/home.lan.zone', 'far.lan.\n    file: zones/far.lan.zone'),
    copyZones: true,
    files: {
      'admin.tok': ADMIN + '\n', 'ipam.tok': IPAM, 'viewer.tok': VIEWER,
      'zones/far.lan.zone': '$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\nns1 A 192.168.1.2\n',
    },
  });
  const ready = d.logs.find((r) => r.msg === 'ready')!;
  const c = ready.console as { address: string; port: number };
  base = `http://${c.address}:${c.port}`;
});
t.teardown(async () => {
  await d?.stop();
  await up?.close();
});

async function call(method: string, path: string, o: { token?: string | null; body?: unknown; raw?: string; type?: string } = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (o.token !== null) headers.authorization = `Bearer ${o.token ?? ADMIN}`;
  let body: string | undefined;
  if (o.raw !== undefined) { body = o.raw; headers['content-type'] = o.type ?? 'application/json'; }
  else if (o.body !== undefined) { body = JSON.stringify(o.body); headers['content-type'] = 'application/json'; }
  const res = await fetch(base + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: unknown = text;
  try { parsed = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, body: parsed, headers: res.headers };
}

const answers = async (name: string, type = 'A'): Promise<string[]> => (await dig(H, d.port, name, type)).answer.map((l) => l.split(' ').slice(4).join(' ')).sort();

t.test('a record added over the API resolves, is in zone dump and in an AXFR; delete removes it', async (t) => {
  const add = await call('POST', '/api/v1/zones/home.lan./records', { body: { name: 'apiprinter.home.lan', type: 'A', ttl: 120, data: '192.168.1.150' } });
  t.equal(add.status, 201, JSON.stringify(add.body));
  t.ok(add.body.serial > 2024060101, 'the serial moved');
  t.same(await answers('apiprinter.home.lan'), ['192.168.1.150']);
  const ttl = (await dig(H, d.port, 'apiprinter.home.lan', 'A')).answer[0]!.split(' ')[1];
  t.equal(ttl, '120');
  const dump = await run(process.execPath, [MAIN, 'zone', 'dump', 'home.lan', '--config', join(d.dir, 'horizond.yaml')], { cwd: d.dir });
  t.match(dump.stdout, /^apiprinter\.home\.lan\.\s+120\s+IN\s+A\s+192\.168\.1\.150$/m, 'zone dump (reading the journal) shows it');
  const axfr = await dig(H, d.port, 'home.lan', 'AXFR');
  t.ok(axfr.raw.includes('192.168.1.150'), 'AXFR carries it');
  const list = await call('GET', '/api/v1/zones/home.lan./records?name=apiprinter.home.lan');
  t.same(list.body, [{ name: 'apiprinter.home.lan.', type: 'A', ttl: 120, data: '192.168.1.150', dynamic: true }]);
  const del = await call('DELETE', '/api/v1/zones/home.lan./records', { body: { name: 'apiprinter.home.lan', type: 'A', data: '192.168.1.150' } });
  t.equal(del.status, 200, JSON.stringify(del.body));
  t.equal((await dig(H, d.port, 'apiprinter.home.lan', 'A')).status, 'NXDOMAIN');
  t.ok(d.logs.some((r) => r.msg === 'console: record change' && r.token === 'admin' && r.action === 'add' && r.result === 'ok'), 'the write is audited with the token name');
});

t.test('missing, wrong and read-only tokens; zone lists; the zone policy; bad input', async (t) => {
  const none = await call('GET', '/api/v1/zones', { token: null });
  const wrong = await call('GET', '/api/v1/zones', { token: 'not-a-token-at-all-xxxxxxxx' });
  t.equal(none.status, 401);
  t.equal(wrong.status, 401);
  t.same(none.body, wrong.body, 'the same answer whether the token is missing or wrong');
  t.equal((await call('GET', '/api/v1/zones', { token: VIEWER })).status, 200, 'a read token reads');
  const ro = await call('POST', '/api/v1/zones/home.lan./records', { token: VIEWER, body: { name: 'x.home.lan', type: 'A', data: '192.168.1.9' } });
  t.equal(ro.status, 403);
  t.match(ro.body.error, /read scope/);
  const outside = await call('POST', '/api/v1/zones/home.lan./records', { token: IPAM, body: { name: 'x.home.lan', type: 'A', data: '192.168.1.9' } });
  t.equal(outside.status, 403, 'a token limited to the reverse zone cannot write home.lan.');
  t.match(outside.body.error, /may not write to zone home\.lan\./);
  const ptr = await call('POST', '/api/v1/zones/1.168.192.in-addr.arpa./records', { token: IPAM, body: { name: '9.1.168.192.in-addr.arpa', type: 'PTR', data: 'x.home.lan.' } });
  t.equal(ptr.status, 201, JSON.stringify(ptr.body));
  t.same(await answers('9.1.168.192.in-addr.arpa', 'PTR'), ['x.home.lan.']);
  const stat = await call('POST', '/api/v1/zones/home.lan./records', { body: { name: 'ns1.home.lan', type: 'A', data: '192.168.1.99' } });
  t.equal(stat.status, 403, 'a static record is protected');
  t.match(stat.body.error, /protectStatic/);
  const rule = await call('POST', '/api/v1/zones/home.lan./records', { body: { name: 'apimx.home.lan', type: 'MX', data: '10 mail.home.lan.' } });
  t.equal(rule.status, 403, 'no rule grants MX');
  t.match(rule.body.error, /no update rule lets token admin/);
  const net = await call('POST', '/api/v1/zones/far.lan./records', { body: { name: 'a.far.lan', type: 'A', data: '192.168.1.9' } });
  t.equal(net.status, 403, 'the HTTP client is outside the zone\'s update networks');
  t.match(net.body.error, /outside the update networks/);
  const cases: [unknown, RegExp][] = [
    [{ name: 'x.home.lan', type: 'BOGUS', data: '1' }, /type/],
    [{ name: 'x.home.lan', type: 'A', data: 'not-an-address' }, /data/],
    [{ name: `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(60)}.home.lan`, type: 'A', data: '192.168.1.1' }, /name/],
    [{ name: 'x.home.lan', type: 'A', ttl: 'soon', data: '192.168.1.1' }, /ttl/],
    [{ type: 'A', data: '192.168.1.1' }, /name/],
  ];
  for (const [body, field] of cases) {
    const r = await call('POST', '/api/v1/zones/home.lan./records', { body });
    t.equal(r.status, 400, JSON.stringify(body));
    t.match(r.body.error, field, `the error names the field: ${r.body.error}`);
  }
  const bad = await call('POST', '/api/v1/zones/home.lan./records', { raw: '{"name": ' });
  t.equal(bad.status, 400, 'malformed JSON');
  t.equal((await call('GET', '/api/v1/zones/nope.lan./records')).status, 404);
});

t.test('the Technitium-compatible routes, as lego (form POST) and acme.sh (GET) call them', async (t) => {
  const form = new URLSearchParams({ domain: '_acme-challenge.home.lan', type: 'TXT', text: 'lego-challenge-value', token: ADMIN });
  const added = await (await fetch(`${base}/api/zones/records/add`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() })).json() as any;
  t.equal(added.status, 'ok', JSON.stringify(added));
  t.same(added.response.addedRecord.rData, { text: 'lego-challenge-value' });
  const q = new URLSearchParams({ token: ADMIN, domain: '_acme-challenge.home.lan', type: 'TXT', text: 'acme.sh-value' });
  const viaGet = await (await fetch(`${base}/api/zones/records/add?${q}`)).json() as any;
  t.equal(viaGet.status, 'ok');
  t.same(await answers('_acme-challenge.home.lan', 'TXT'), ['"acme.sh-value"', '"lego-challenge-value"']);
  const got = await (await fetch(`${base}/api/zones/records/get?${new URLSearchParams({ token: ADMIN, domain: '_acme-challenge.home.lan' })}`)).json() as any;
  t.equal(got.status, 'ok');
  t.same(got.response.records.map((r: any) => r.rData.text).sort(), ['acme.sh-value', 'lego-challenge-value']);
  const del = await (await fetch(`${base}/api/zones/records/delete`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() })).json() as any;
  t.equal(del.status, 'ok');
  t.same(await answers('_acme-challenge.home.lan', 'TXT'), ['"acme.sh-value"']);
  // the IPAM job: an A record with its PTR in one call
  const host = await (await fetch(`${base}/api/zones/records/add?${new URLSearchParams({ token: ADMIN, domain: 'apinas.home.lan', type: 'A', ipAddress: '192.168.1.160', ptr: 'true', ttl: '900' })}`)).json() as any;
  t.equal(host.status, 'ok', JSON.stringify(host));
  t.same(await answers('apinas.home.lan'), ['192.168.1.160']);
  t.same(await answers('160.1.168.192.in-addr.arpa', 'PTR'), ['apinas.home.lan.']);
  const badToken = await (await fetch(`${base}/api/zones/records/add?${new URLSearchParams({ token: 'wrong-wrong-wrong-wrong', domain: 'z.home.lan', type: 'A', ipAddress: '192.168.1.61' })}`)).json() as any;
  t.equal(badToken.status, 'invalid-token');
  const refused = await (await fetch(`${base}/api/zones/records/add?${new URLSearchParams({ token: ADMIN, domain: 'ns1.home.lan', type: 'A', ipAddress: '192.168.1.61' })}`)).json() as any;
  t.equal(refused.status, 'error');
  t.match(refused.errorMessage, /protectStatic/);
});

t.test('leases: a name registered by an update signed like Kea\'s', async (t) => {
  const script = [`server ${H} ${d.port}`, 'zone home.lan.', 'update add apilaptop.home.lan. 1200 IN A 192.168.1.140',
    'update add apilaptop.home.lan. 1200 IN DHCID AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=', 'send', ''].join('\n');
  const r = await new Promise<number | null>((resolve) => {
    const c = spawn('nsupdate', ['-y', `hmac-sha256:kea-ddns.:${SECRET}`], { timeout: 20_000 });
    c.on('close', resolve);
    c.stdin.end(script);
  });
  t.equal(r, 0, 'nsupdate succeeded');
  const ptr = ['server 127.0.0.1 ' + d.port, 'zone 1.168.192.in-addr.arpa.', 'update add 140.1.168.192.in-addr.arpa. 1200 IN PTR apilaptop.home.lan.', 'send', ''].join('\n');
  await new Promise<number | null>((resolve) => {
    const c = spawn('nsupdate', ['-y', `hmac-sha256:kea-ddns.:${SECRET}`], { timeout: 20_000 });
    c.on('close', resolve);
    c.stdin.end(ptr);
  });
  const leases = await call('GET', '/api/v1/leases', { token: VIEWER });
  t.equal(leases.status, 200);
  const l = leases.body.find((x: any) => x.name === 'apilaptop.home.lan.');
  t.ok(l, JSON.stringify(leases.body));
  t.same(l.addresses, ['192.168.1.140']);
  t.same(l.ptr, { '192.168.1.140': ['apilaptop.home.lan.'] });
  t.equal(l.expiresAt, null, 'the zone does not scavenge');
});

t.test('cache: look a name up, flush it, flush everything', async (t) => {
  t.same(await answers('cached.example'), ['198.51.100.7']);
  const look = await call('GET', '/api/v1/cache?name=cached.example', { token: VIEWER });
  t.equal(look.status, 200);
  t.equal(look.body.entries.length, 1);
  t.equal(look.body.entries[0].type, 'A');
  t.equal(look.body.entries[0].stale, false);
  t.equal((await call('DELETE', '/api/v1/cache?name=cached.example', { token: VIEWER })).status, 403, 'flushing needs write scope');
  const flushed = await call('DELETE', '/api/v1/cache?name=cached.example');
  t.same(flushed.body, { flushed: 1 });
  t.same((await call('GET', '/api/v1/cache?name=cached.example')).body.entries, []);
  const asked = up.received.length;
  t.same(await answers('cached.example'), ['198.51.100.7']);
  t.equal(up.received.length, asked + 1, 'the flushed name is asked upstream again');
  const all = await call('DELETE', '/api/v1/cache');
  t.ok(all.body.flushed >= 1);
});

t.test('zones, status, OpenAPI document and metrics', async (t) => {
  const zones = await call('GET', '/api/v1/zones', { token: VIEWER });
  const home = zones.body.find((z: any) => z.name === 'home.lan.');
  t.ok(home.updates);
  t.ok(home.allowTransfer);
  t.ok(home.records >= home.staticRecords && home.staticRecords > 0);
  const status = await call('GET', '/api/v1/status', { token: VIEWER });
  t.equal(status.body.ready, true);
  const doc = await call('GET', '/api/v1/openapi.json', { token: null });
  t.equal(doc.status, 200, 'the OpenAPI document is public');
  t.ok(doc.body.paths['/api/v1/zones/{zone}/records'].post, 'it describes the record routes');
  const m = d.logs.find((r) => r.msg === 'ready')!.metrics as { address: string; port: number };
  const text = await (await fetch(`http://${m.address}:${m.port}/metrics`)).text();
  t.match(text, /horizond_console_requests_total\{route="\/api\/v1\/zones",status="200"\} \d+/);
  t.match(text, /horizond_console_writes_total\{token="admin",result="ok"\} \d+/);
  t.match(text, /horizond_console_auth_failures_total \d+/);
});

t.test('failed sign-ins from one address are rate-limited', async (t) => {
  let limited: { status: number; headers: Headers } | null = null;
  for (let i = 0; i < 30 && limited === null; i++) {
    const r = await call('GET', '/api/v1/whoami', { token: `guess-${i}-xxxxxxxxxxxxxxxx` });
    if (r.status === 429) limited = r;
    else t.equal(r.status, 401);
  }
  t.ok(limited, 'a client that keeps guessing gets 429');
  t.ok(Number(limited!.headers.get('retry-after')) > 0, 'with Retry-After');
  t.equal((await call('GET', '/api/v1/whoami')).status, 429, 'even a right token waits: the answer tells nothing about guesses');
});

t.test('first start without tokens creates one in the data directory, logged once', async (t) => {
  const cfg = `server:\n  listen: [{ address: 127.0.0.1, port: 0 }]\n  dataDir: data\nmetrics: { enabled: false }\nconsole: { enabled: true, listen: "127.0.0.1:0" }\n`;
  const a = await startDaemon({ config: cfg, keepDir: true });
  t.teardown(async () => { await a.stop(); });
  const file = join(a.dir, 'data', 'console-admin.token');
  t.ok(existsSync(file));
  const created = a.logs.filter((r) => typeof r.msg === 'string' && r.msg.includes('created the console token'));
  t.equal(created.length, 1);
  t.equal(created[0]!.file, file, 'the log says where it is');
  t.notOk(JSON.stringify(a.logs).includes(readFileSync(file, 'utf8').trim()), 'the token itself is never logged');
  const c = a.logs.find((r) => r.msg === 'ready')!.console as { address: string; port: number };
  const who = await fetch(`http://${c.address}:${c.port}/api/v1/whoami`, { headers: { authorization: `Bearer ${readFileSync(file, 'utf8').trim()}` } });
  t.same(await who.json(), { name: 'admin', scope: 'write', zones: null });
  const b = await a.restart();
  t.teardown(async () => { await b.stop(); });
  t.notOk(b.logs.some((r) => typeof r.msg === 'string' && r.msg.includes('created the console token')), 'not created (or logged) again');
});
