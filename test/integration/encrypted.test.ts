import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cpSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { ROOT, startDaemon, type Daemon } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { DotTestClient, makeCert, tempDir, type TestCert } from '../helpers/tls.js';
import { until } from '../helpers/transport.js';

/**
 * The daemon's DNS-over-TLS and DNS-over-HTTPS listeners with real clients: kdig and dig
 * (BIND 9.18) over TLS, padding as they see it, the query log and the metrics.
 */

const run = promisify(execFile);

/**
 * UDP+TCP, DoT and DoH on loopback. Two views so a test can see which one answered: clients
 * in 127.0.0.2/32 (`proxied`) get their own home.lan. where host1 is 10.9.9.9; everyone else
 * (`default`) the global one (host1 192.168.1.10). 127.0.0.3 is the trusted reverse proxy.
 */
function config(cert: TestCert, extra = ''): string {
  return `server:
  listen:
    - { address: 127.0.0.1, port: 0, protocols: [udp, tcp] }
    - { address: 127.0.0.1, port: 0, protocols: [tls] }
    - { address: 127.0.0.1, port: 0, protocols: [https] }
  tls: { certFile: ${cert.certFile}, keyFile: ${cert.keyFile} }
  trustedProxies: [127.0.0.3]
${extra}
metrics: { enabled: true, listen: "127.0.0.1:0" }
queryLog: { enabled: true, sinks: [{ type: stdout }] }
zones:
  - { name: home.lan., file: zones/home.lan.zone }
views:
  list:
    - name: proxied
      match: [127.0.0.2]
      zones:
        - { name: home.lan., file: zones/proxied.zone }
    - name: default
`;
}

const PROXIED_ZONE = `$ORIGIN home.lan.
$TTL 600
@ IN SOA ns1 hostmaster 1 3h 15m 2w 300
  IN NS ns1
ns1 IN A 10.9.9.1
host1 IN A 10.9.9.9
`;

function port(d: Daemon, protocol: string): number {
  const b = d.bound.find((x) => x.protocol === protocol);
  if (b === undefined) throw new Error(`no ${protocol} listener in ${JSON.stringify(d.bound)}`);
  return b.port;
}

async function metrics(d: Daemon): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${d.metrics!.port}/metrics`);
  return res.text();
}

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function kdig(args: string[]): Promise<string> {
  const { stdout } = await run('kdig', ['+timeout=5', '+retry=0', ...args], { timeout: 20_000 });
  return stdout;
}

async function daemon(t: Test, extra = ''): Promise<{ d: Daemon; cert: TestCert; dir: string }> {
  const dir = tempDir(t);
  const cert = makeCert(dir);
  const d = await startDaemon({ config: config(cert, extra), copyZones: true, files: { 'zones/proxied.zone': PROXIED_ZONE } });
  t.teardown(() => d.stop());
  return { d, cert, dir };
}

t.test('DNS over TLS with kdig and dig', async (t) => {
  const { d, cert } = await daemon(t);
  const dot = port(d, 'tls');

  const k = await kdig([`@127.0.0.1`, '-p', String(dot), '+tls', `+tls-ca=${cert.certFile}`, '+tls-hostname=localhost', 'host1.home.lan', 'A']);
  t.match(k, /;; TLS session \(TLS1\.3\)/, 'kdig verified the certificate and negotiated TLS 1.3');
  t.match(k, /host1\.home\.lan\.\s+3600\s+IN\s+A\s+192\.168\.1\.10/);
  t.match(k, /status: NOERROR/);

  const padded = await kdig([`@127.0.0.1`, '-p', String(dot), '+tls', '+padding', 'host1.home.lan', 'A']);
  t.match(padded, /;; PADDING: \d+ B/, 'a padded query gets a padded answer');
  t.match(padded, /;; Received 468 B/, 'padded to the 468-byte block (RFC 8467)');

  const plain = await dig('127.0.0.1', dot, 'host1.home.lan', 'A', ['+tls']);
  t.equal(plain.status, 'NOERROR');
  t.same(plain.answer, ['host1.home.lan. 3600 IN A 192.168.1.10']);
  t.notMatch(plain.raw, /PAD:/, 'an unpadded query is not padded (RFC 7830 §4)');

  const digPadded = await dig('127.0.0.1', dot, 'host1.home.lan', 'A', ['+tls', '+padding=468']);
  t.match(digPadded.raw, /MSG SIZE\s+rcvd: 468/, 'dig +padding sees a 468-byte answer');

  const verified = await dig('127.0.0.1', dot, 'host1.home.lan', 'A', ['+tls', `+tls-ca=${cert.certFile}`, '+tls-hostname=localhost']);
  t.same(verified.answer, ['host1.home.lan. 3600 IN A 192.168.1.10'], 'dig verified the certificate');

  // Several queries on one connection (kdig sends them pipelined over one TLS session).
  const many = await kdig([`@127.0.0.1`, '-p', String(dot), '+tls', '+keepopen', 'host1.home.lan', 'A', 'nas.home.lan', 'A', 'nonexistent.home.lan', 'A']);
  t.equal(many.match(/status: NOERROR/g)?.length, 2);
  t.equal(many.match(/status: NXDOMAIN/g)?.length, 1);

  await until(() => d.logs.some((r) => r.kind === 'query' && r.transport === 'dot'), 5000, 'a query log line with transport dot');
  const m = await metrics(d);
  const listener = `127.0.0.1:${dot}`;
  t.ok((sample(m, `horizond_transport_received_total{protocol="dot",listener="${listener}"}`) ?? 0) >= 8, 'DoT queries counted per listener');
  t.ok((sample(m, `horizond_tls_handshakes_total{protocol="dot",listener="${listener}"}`) ?? 0) >= 6, 'handshakes counted');
  t.equal(sample(m, 'horizond_tls_certificate_reloads_total{result="error"}'), 0);
  t.ok((sample(m, 'horizond_tls_certificate_expiry_timestamp_seconds') ?? 0) > Date.now() / 1000, 'expiry of the certificate in use');
});

t.test('a certificate without its key is a startup error naming the file and line', async (t) => {
  const dir = tempDir(t);
  const a = makeCert(dir, 'a');
  const b = makeCert(dir, 'b');
  await t.rejects(startDaemon({ config: config({ ...a, keyFile: b.keyFile }), copyZones: true, files: { 'zones/proxied.zone': PROXIED_ZONE } }), /a\.crt:1:1: the first certificate \(CN=horizond\.test\) does not match the private key in .*b\.key/);
});

/** A DNS query as base64url (no padding), for `?dns=`. */
function b64(name: string, type: 'A' | 'AAAA' = 'A', id = 0): string {
  return dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] }).toString('base64url');
}

interface CurlResult { status: number; headers: Record<string, string>; body: Buffer; version: string }

/** Runs curl (headers, then the body, on stdout) and returns status, headers and body. `input` goes to stdin. */
async function curl(url: string, args: string[] = [], input?: Buffer): Promise<CurlResult> {
  const child = run('curl', ['-sk', '--max-time', '10', '-D', '-', '-o', '-', ...args, url], { encoding: 'buffer', timeout: 20_000, maxBuffer: 1 << 20 });
  if (input !== undefined) child.child.stdin!.end(input);
  else child.child.stdin!.end();
  const { stdout } = await child;
  const split = stdout.indexOf('\r\n\r\n');
  if (split < 0) throw new Error(`curl: no header block in ${JSON.stringify(stdout.toString('latin1').slice(0, 200))}`);
  const lines = stdout.subarray(0, split).toString('latin1').split('\r\n');
  const m = /^HTTP\/([\d.]+) (\d{3})/.exec(lines[0] ?? '');
  if (m === null) throw new Error(`curl: no status line in ${JSON.stringify(lines.slice(0, 3))}`);
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
  }
  return { version: m[1]!, status: Number(m[2]), headers, body: stdout.subarray(split + 4) };
}

function answers(body: Buffer): string[] {
  const m = dnsPacket.decode(body);
  return (m.answers ?? []).map((a) => `${a.name} ${a.type} ${String((a as { data?: unknown }).data)}`);
}

t.test('DNS over HTTPS: curl over HTTP/2 and HTTP/1.1, status codes, Cache-Control', async (t) => {
  const { d } = await daemon(t);
  const base = `https://127.0.0.1:${port(d, 'https')}/dns-query`;

  const h2 = await curl(`${base}?dns=${b64('host1.home.lan')}`, ['--http2']);
  t.equal(h2.version, '2', 'HTTP/2 through ALPN');
  t.equal(h2.status, 200);
  t.equal(h2.headers['content-type'], 'application/dns-message');
  t.equal(h2.headers['cache-control'], 'max-age=3600', 'max-age is the smallest TTL');
  t.same(answers(h2.body), ['host1.home.lan A 192.168.1.10']);

  const h1 = await curl(`${base}?dns=${b64('host1.home.lan')}`, ['--http1.1']);
  t.equal(h1.version, '1.1', 'HTTP/1.1 through ALPN');
  t.equal(h1.status, 200);
  t.same(answers(h1.body), ['host1.home.lan A 192.168.1.10']);

  const q = dnsPacket.encode({ type: 'query', id: 4242, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name: 'nas.home.lan', class: 'IN' }] });
  const post = await curl(base, ['--http2', '-X', 'POST', '-H', 'content-type: application/dns-message', '--data-binary', '@-'], q);
  t.equal(post.status, 200);
  t.equal(dnsPacket.decode(post.body).id, 4242, 'POST keeps the query ID');

  const nx = await curl(`${base}?dns=${b64('nope.home.lan')}`);
  t.equal(nx.body[3]! & 0xf, 3, 'NXDOMAIN');
  t.equal(nx.headers['cache-control'], 'max-age=300', 'negative answers: the SOA in the authority section bounds it');

  t.equal((await curl(`${base}?dns=${b64('host1.home.lan')}==`)).status, 200, 'padding characters are tolerated');
  t.equal((await curl(`${base}?dns=not*base64`)).status, 400, 'bad base64url: 400');
  t.equal((await curl(`${base}?other=1`)).status, 400, 'no dns parameter: 400');
  t.equal((await curl(`${base}?dns=AAAA`)).status, 400, 'shorter than a header: 400');
  t.equal((await curl(base, ['-X', 'POST', '-H', 'content-type: text/plain', '--data', 'x'])).status, 415);
  t.equal((await curl(base, ['-X', 'POST', '-H', 'content-type: application/dns-message', '--data-binary', '@-'], Buffer.alloc(70_000))).status, 413);
  const put = await curl(base, ['-X', 'PUT']);
  t.equal(put.status, 405);
  t.equal(put.headers['allow'], 'GET, POST');
  t.equal((await curl(`https://127.0.0.1:${port(d, 'https')}/resolve?dns=${b64('host1.home.lan')}`)).status, 404);

  const m = await metrics(d);
  const listener = `127.0.0.1:${port(d, 'https')}`;
  t.equal(sample(m, `horizond_doh_requests_refused_total{listener="${listener}",status="415"}`), 1);
  t.equal(sample(m, `horizond_doh_requests_refused_total{listener="${listener}",status="413"}`), 1);
  t.ok((sample(m, `horizond_doh_requests_by_version_total{listener="${listener}",version="1.1"}`) ?? 0) >= 1);
  t.ok((sample(m, `horizond_transport_sent_total{protocol="doh",listener="${listener}"}`) ?? 0) >= 5);
});

t.test('DNS over HTTPS with kdig, dig (+https, +https-get) and the dns2 package', async (t) => {
  const { d, cert } = await daemon(t);
  const doh = port(d, 'https');
  const k = await kdig(['@127.0.0.1', '-p', String(doh), '+https', `+tls-ca=${cert.certFile}`, '+tls-hostname=localhost', 'host1.home.lan', 'A']);
  t.match(k, /host1\.home\.lan\.\s+3600\s+IN\s+A\s+192\.168\.1\.10/, 'kdig +https');
  const kget = await kdig(['@127.0.0.1', '-p', String(doh), '+https-get', 'host1.home.lan', 'A']);
  t.match(kget, /192\.168\.1\.10/, 'kdig +https-get');
  t.same((await dig('127.0.0.1', doh, 'host1.home.lan', 'A', ['+https'])).answer, ['host1.home.lan. 3600 IN A 192.168.1.10'], 'dig +https (POST)');
  t.same((await dig('127.0.0.1', doh, 'host1.home.lan', 'A', ['+https-get'])).answer, ['host1.home.lan. 3600 IN A 192.168.1.10'], 'dig +https-get');
  t.equal((await dig('127.0.0.1', doh, 'nas.home.lan', 'A', ['+https=/dns-query', `+tls-ca=${cert.certFile}`, '+tls-hostname=localhost'])).status, 'NOERROR', 'dig verifies the certificate');

  // dns2 in a child process that trusts the test certificate (NODE_EXTRA_CA_CERTS is read at start).
  const script = `
    const { DOHClient, TCPClient } = require('dns2');
    (async () => {
      const out = {};
      const h1 = await DOHClient({ dns: 'https://localhost:${doh}/dns-query' })('host1.home.lan', 'A');
      out.doh = h1.answers.map((a) => a.address);
      const h2 = await DOHClient({ dns: 'h2://localhost:${doh}/dns-query' })('nas.home.lan', 'A');
      out.h2 = h2.answers.map((a) => a.address);
      const dot = await TCPClient({ dns: 'localhost', protocol: 'tls:', port: ${port(d, 'tls')} })('host1.home.lan', 'A');
      out.dot = dot.answers.map((a) => a.address);
      const tcp = await TCPClient({ dns: '127.0.0.1', port: ${port(d, 'tcp')} })('host1.home.lan', 'A');
      out.tcp = tcp.answers.map((a) => a.address);
      console.log(JSON.stringify(out));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const { stdout } = await run(process.execPath, ['-e', script], { env: { ...process.env, NODE_EXTRA_CA_CERTS: cert.certFile }, timeout: 30_000 });
  const nas = (await dig('127.0.0.1', port(d, 'udp'), 'nas.home.lan')).answer.map((l) => l.split(' ').at(-1));
  t.same(JSON.parse(stdout), { doh: ['192.168.1.10'], h2: nas, dot: ['192.168.1.10'], tcp: ['192.168.1.10'] },
    'dns2 over DoH (HTTP/1.1 and HTTP/2), DoT and TCP, verifying the certificate');
  await until(() => d.logs.some((r) => r.kind === 'query' && r.transport === 'doh'), 5000, 'a query log line with transport doh');
});

t.test('trusted proxies: the forwarded client picks the view; forged headers from others are ignored', async (t) => {
  const { d } = await daemon(t);
  const base = `https://127.0.0.1:${port(d, 'https')}/dns-query?dns=${b64('host1.home.lan')}`;
  const ask = async (from: string, headers: string[]) =>
    answers((await curl(base, ['--interface', from, ...headers.flatMap((h) => ['-H', h])])).body);

  t.same(await ask('127.0.0.3', []), ['host1.home.lan A 192.168.1.10'], 'the proxy itself, no header: its own view');
  t.same(await ask('127.0.0.3', ['X-Forwarded-For: 127.0.0.2']), ['host1.home.lan A 10.9.9.9'], 'X-Forwarded-For from the trusted proxy picks the view');
  t.same(await ask('127.0.0.3', ['Forwarded: for=127.0.0.2;proto=https']), ['host1.home.lan A 10.9.9.9'], 'Forwarded (RFC 7239) from the trusted proxy');
  t.same(await ask('127.0.0.3', ['Forwarded: for="[::ffff:127.0.0.2]:4711"']), ['host1.home.lan A 10.9.9.9'], 'quoted IPv6 form with a port');
  t.same(await ask('127.0.0.3', ['X-Forwarded-For: 127.0.0.2, 198.51.100.7']), ['host1.home.lan A 192.168.1.10'],
    'a client that sends its own X-Forwarded-For: the address the proxy appended is used');
  t.same(await ask('127.0.0.1', ['X-Forwarded-For: 127.0.0.2']), ['host1.home.lan A 192.168.1.10'], 'forged X-Forwarded-For from an untrusted client: ignored');
  t.same(await ask('127.0.0.1', ['Forwarded: for=127.0.0.2']), ['host1.home.lan A 192.168.1.10'], 'forged Forwarded from an untrusted client: ignored');
  t.same(await ask('127.0.0.2', []), ['host1.home.lan A 10.9.9.9'], 'the TLS peer picks the view without a proxy');
  t.same((await dig('127.0.0.1', port(d, 'tls'), 'host1.home.lan', 'A', ['+tls', '-b', '127.0.0.2'])).answer, ['host1.home.lan. 600 IN A 10.9.9.9'], 'DoT: the TLS peer is the client');

  await until(() => d.logs.some((r) => r.kind === 'query' && r.transport === 'doh' && r.client === '127.0.0.2' && r.view === 'proxied'), 5000, 'the forwarded client in the query log');
  const m = await metrics(d);
  const listener = `127.0.0.1:${port(d, 'https')}`;
  t.equal(sample(m, `horizond_doh_forwarded_total{listener="${listener}",result="used"}`), 4);
  t.equal(sample(m, `horizond_doh_forwarded_total{listener="${listener}",result="ignored"}`), 2);
});

t.test('certificate files replaced on disk (Kubernetes Secret symlink swap): the next connection gets the new one; a bad one is refused', async (t) => {
  const dir = tempDir(t);
  // A Secret volume: tls.crt -> ..data/tls.crt, ..data -> ..2026_1 (swapped atomically on renewal).
  const first = makeCert(dir, 'first', 'first.test');
  mkdirSync(join(dir, '..2026_1'));
  renameSync(first.certFile, join(dir, '..2026_1', 'tls.crt'));
  renameSync(first.keyFile, join(dir, '..2026_1', 'tls.key'));
  symlinkSync('..2026_1', join(dir, '..data'));
  symlinkSync('..data/tls.crt', join(dir, 'tls.crt'));
  symlinkSync('..data/tls.key', join(dir, 'tls.key'));
  const served = { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), pem: first.pem };
  const d = await startDaemon({ config: config(served), copyZones: true, files: { 'zones/proxied.zone': PROXIED_ZONE } });
  t.teardown(() => d.stop());
  const peer = async (): Promise<string> => {
    const c = new DotTestClient(port(d, 'tls'));
    try {
      await c.secure;
      return c.socket.getPeerX509Certificate()!.subject;
    } finally {
      c.destroy();
    }
  };
  t.equal(await peer(), 'CN=first.test');

  const second = makeCert(dir, 'second', 'second.test');
  mkdirSync(join(dir, '..2026_2'));
  renameSync(second.certFile, join(dir, '..2026_2', 'tls.crt'));
  renameSync(second.keyFile, join(dir, '..2026_2', 'tls.key'));
  symlinkSync('..2026_2', join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data')); // the kubelet's atomic swap
  await d.waitLog((r) => r.msg === 'tls: certificate reloaded' && String(r.subject) === 'CN=second.test', 15_000);
  t.equal(await peer(), 'CN=second.test', 'the next connection gets the renewed certificate');
  t.match((await dig('127.0.0.1', port(d, 'https'), 'host1.home.lan', 'A', ['+https'])).answer, ['host1.home.lan. 3600 IN A 192.168.1.10']);

  // A broken renewal: the certificate cut in the middle. Refused, logged with file:line:col; the old one stays.
  const broken = join(dir, '..2026_2', 'tls.crt');
  const text = readFileSync(broken, 'utf8').split('\n');
  writeFileSync(broken, [...text.slice(0, 4), 'not*base64!', ...text.slice(4)].join('\n'));
  const err = await d.waitLog((r) => typeof r.msg === 'string' && r.msg.startsWith('tls: certificate reload refused'), 15_000);
  t.match(String(err.msg), /the previous certificate stays: .*tls\.crt:5:4: not base64 inside the CERTIFICATE block/);
  t.equal(await peer(), 'CN=second.test', 'still the last good certificate');
  const m = await metrics(d);
  t.equal(sample(m, 'horizond_tls_certificate_reloads_total{result="ok"}'), 1);
  t.equal(sample(m, 'horizond_tls_certificate_reloads_total{result="error"}'), 1);
});

t.test('config/examples/encrypted.yaml runs with the certificate made by the README command', async (t) => {
  const root = tempDir(t, 'horizond-example-');
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### DNS over TLS and DNS over HTTPS'));
  const command = section.split('\n').find((l) => l.startsWith('openssl req'));
  t.ok(command, 'the README shows the openssl command');
  mkdirSync(join(root, 'config', 'examples'), { recursive: true });
  cpSync(join(ROOT, 'zones'), join(root, 'zones'), { recursive: true });
  await run('sh', ['-c', command!], { cwd: root, timeout: 30_000 });
  // As is, except every port: 0 so the test cannot collide with anything on this machine.
  const example = readFileSync(join(ROOT, 'config', 'examples', 'encrypted.yaml'), 'utf8')
    .replace(/port: \d+/g, 'port: 0').replace('127.0.0.1:9154', '127.0.0.1:0');
  const exDir = join(root, 'config', 'examples');
  writeFileSync(join(exDir, 'horizond.yaml'), example);
  const d = await startDaemon({ dir: exDir });
  t.teardown(() => d.stop());
  t.same((await dig('127.0.0.1', port(d, 'tls'), 'host1.home.lan', 'A', ['+tls', `+tls-ca=${join(exDir, 'tls.crt')}`, '+tls-hostname=localhost'])).answer, ['host1.home.lan. 3600 IN A 192.168.1.10']);
  const url = /curl -sk "https:\/\/127\.0\.0\.1:\d+(\/dns-query\?dns=[A-Za-z0-9_-]+)"/.exec(example);
  t.ok(url, 'the example shows a curl line');
  const r = await curl(`https://127.0.0.1:${port(d, 'https')}${url![1]}`);
  t.same(answers(r.body), ['host1.home.lan A 192.168.1.10'], 'the example curl query answers');
});
