/**
 * Interop with a real resolver: unbound (Debian 1.17) on 127.0.0.1 serving local data over UDP,
 * TCP, DNS over TLS and DNS over HTTPS with a certificate from a throw-away CA.
 */
import t, { type Test } from 'tap';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RCode, RRType } from '../../../src/wire/constants.js';
import { decodeMessage } from '../../../src/wire/message.js';
import {
  UpstreamError, UpstreamGroup, type UpstreamQuestion, type UpstreamSpec,
} from '../../../src/resolver/upstream/index.js';
import { answerAddresses, makeTestPki, rcodeOfWire } from '../../helpers/fake-upstream.js';

const hasUnbound = (() => {
  try {
    execFileSync('unbound', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const q = (qname: string, qtype: number = RRType.A): UpstreamQuestion => ({ qname, qtype, qclass: 1, do: true, cd: false });
const failure = (p: Promise<unknown>): Promise<UpstreamError> =>
  p.then(() => { throw new Error('expected a rejection'); }, (e: UpstreamError) => e);

/** A port free for both TCP and UDP on 127.0.0.1 right now. */
async function freePort(): Promise<number> {
  for (;;) {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    const udp = dgram.createSocket('udp4');
    const ok = await new Promise<boolean>((r) => {
      udp.once('error', () => r(false));
      udp.bind(port, '127.0.0.1', () => r(true));
    });
    await new Promise((r) => srv.close(r));
    if (ok) {
      await new Promise<void>((r) => udp.close(() => r()));
      return port;
    }
  }
}

interface Unbound { plain: number; tls: number; https: number; ca: Buffer; otherCa: Buffer }

async function startUnbound(t: Test): Promise<Unbound> {
  const dir = mkdtempSync(join(tmpdir(), 'hz-unbound-'));
  const pki = makeTestPki(['dns.test']);
  const other = makeTestPki(['dns.test'], 'untrusted');
  const [plain, tls, https] = [await freePort(), await freePort(), await freePort()];
  const big = Array.from({ length: 100 }, (_, i) => `    local-data: "big.test. 300 IN A 198.51.100.${i}"`).join('\n');
  const conf = join(dir, 'unbound.conf');
  writeFileSync(conf, `server:
    verbosity: 1
    num-threads: 1
    directory: "${dir}"
    chroot: ""
    username: ""
    pidfile: "${join(dir, 'unbound.pid')}"
    use-syslog: no
    logfile: ""
    do-ip6: no
    do-not-query-localhost: no
    so-reuseport: no
    module-config: "iterator"
    interface: 127.0.0.1@${plain}
    interface: 127.0.0.1@${tls}
    interface: 127.0.0.1@${https}
    access-control: 127.0.0.0/8 allow
    tls-port: ${tls}
    https-port: ${https}
    http-endpoint: "/dns-query"
    http-notls-downstream: no
    tls-service-key: "${pki.keyFile}"
    tls-service-pem: "${pki.certFile}"
    local-zone: "test." static
    local-data: "forwarded.test. 300 IN A 192.0.2.7"
${big}
remote-control:
    control-enable: no
`);
  execFileSync('unbound-checkconf', [conf], { stdio: 'pipe' });
  const child: ChildProcess = spawn('unbound', ['-d', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  t.teardown(async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
    pki.cleanup();
    other.cleanup();
  });
  // ready when it answers over UDP
  const probe = new UpstreamGroup([{ name: 'probe', address: '127.0.0.1', port: plain, protocol: 'udp' }], { timeoutMs: 100, attempts: 1 });
  try {
    for (let i = 0; ; i++) {
      if (child.exitCode !== null || i > 50) throw new Error(`unbound did not start:\n${log}`);
      const ok = await probe.query(q('forwarded.test.'), 200).then(() => true, () => false);
      if (ok) break;
    }
  } finally {
    await probe.close();
  }
  return { plain, tls, https, ca: pki.ca, otherCa: other.ca };
}

t.test('unbound interop', { skip: hasUnbound ? false : 'unbound is not installed' }, async (t) => {
  const ub = await startUnbound(t);
  const specs: Record<string, UpstreamSpec> = {
    udp: { name: 'ub-udp', address: '127.0.0.1', port: ub.plain, protocol: 'udp' },
    tcp: { name: 'ub-tcp', address: '127.0.0.1', port: ub.plain, protocol: 'tcp' },
    tls: { name: 'ub-tls', address: '127.0.0.1', port: ub.tls, protocol: 'tls', serverName: 'dns.test', ca: ub.ca },
    'https POST': { name: 'ub-doh', address: '127.0.0.1', port: ub.https, protocol: 'https', url: `https://dns.test:${ub.https}/dns-query`, ca: ub.ca },
    'https GET': { name: 'ub-doh', address: '127.0.0.1', port: ub.https, protocol: 'https', method: 'GET', url: `https://dns.test:${ub.https}/dns-query`, ca: ub.ca },
  };
  const open = (spec: UpstreamSpec): UpstreamGroup => {
    const g = new UpstreamGroup([spec], { timeoutMs: 1500, attempts: 1 });
    t.teardown(() => g.close());
    return g;
  };

  for (const [label, spec] of Object.entries(specs)) {
    await t.test(`${label}: forwarded.test answered`, async (t) => {
      const g = open(spec);
      const rs = await Promise.all([g.query(q('forwarded.test.'), 3000), g.query(q('FORWARDED.Test.'), 3000), g.query(q('nothing.test.'), 3000)]);
      t.same(answerAddresses(rs[0].wire), ['192.0.2.7']);
      t.equal(rs[0].upstream, spec.name);
      t.same(answerAddresses(rs[1].wire), ['192.0.2.7'], 'mixed-case question matched');
      t.equal(rcodeOfWire(rs[2].wire), RCode.NXDomain);
      const m = decodeMessage(rs[0].wire);
      t.equal(m.edns?.do, true, 'unbound saw our EDNS with DO');
      if (spec.protocol !== 'udp') t.equal(g.stats()[0]!.connections, 1, 'one connection for three queries');
    });
  }

  await t.test('udp: a truncated answer is fetched again over TCP', async (t) => {
    const g = open(specs.udp!);
    const r = await g.query(q('big.test.'), 3000);
    t.equal(answerAddresses(r.wire).length, 100);
    t.equal(g.stats()[0]!.truncated, 1);
  });

  await t.test('tls: a wrong serverName or an untrusted CA fails verification', async (t) => {
    const wrong = await failure(open({ ...specs.tls!, serverName: 'wrong.test' }).query(q('forwarded.test.'), 3000));
    t.equal(wrong.code, 'HZ_ERR_UPSTREAM_FAILED');
    t.match(wrong.reasons[0], /wrong\.test/);
    const untrusted = await failure(open({ ...specs.tls!, ca: ub.otherCa }).query(q('forwarded.test.'), 3000));
    t.equal(untrusted.code, 'HZ_ERR_UPSTREAM_FAILED');
    t.match(untrusted.reasons[0], /certificate|unable to verify|self.signed/i);
    const doh = await failure(open({ ...specs['https POST']!, ca: ub.otherCa }).query(q('forwarded.test.'), 3000));
    t.match(doh.reasons[0], /certificate|unable to verify|self.signed/i);
  });
});
