import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startDaemon, type Daemon } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { makeCert, tempDir, type TestCert } from '../helpers/tls.js';
import { until } from '../helpers/transport.js';

/**
 * The daemon's DNS-over-TLS and DNS-over-HTTPS listeners with real clients: kdig and dig
 * (BIND 9.18) over TLS, padding as they see it, the query log and the metrics.
 */

const run = promisify(execFile);

/** Two views so a test can see which one answered: loopback 127.0.0.1 gets `lan`, the rest `other`. */
function config(cert: TestCert, extra = ''): string {
  return `server:
  listen:
    - { address: 127.0.0.1, port: 0, protocols: [udp, tcp] }
    - { address: 127.0.0.1, port: 0, protocols: [tls] }
  tls: { certFile: ${cert.certFile}, keyFile: ${cert.keyFile} }
${extra}
metrics: { enabled: true, listen: "127.0.0.1:0" }
queryLog: { enabled: true }
zones:
  - { name: home.lan., file: zones/home.lan.zone }
`;
}

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
  const d = await startDaemon({ config: config(cert, extra), copyZones: true });
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
  await t.rejects(startDaemon({ config: config({ ...a, keyFile: b.keyFile }), copyZones: true }), /a\.crt:1:1: the first certificate \(CN=horizond\.test\) does not match the private key in .*b\.key/);
});
