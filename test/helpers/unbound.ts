import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestPki, type TestPki } from './fake-upstream.js';
import { freePort } from './ports.js';
import { stopChild } from './process.js';


/** UDP probe: true when something answers a query for `name` on the port. */
function answers(port: number, name: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const labels = name.split('.').filter(Boolean);
    const q = Buffer.concat([
      Buffer.from([0x12, 0x34, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
      ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])),
      Buffer.from([0, 0, 1, 0, 1]),
    ]);
    const timer = setTimeout(() => { s.close(); resolve(false); }, 200);
    s.on('message', () => { clearTimeout(timer); s.close(); resolve(true); });
    s.on('error', () => { clearTimeout(timer); s.close(); resolve(false); });
    s.send(q, port, '127.0.0.1');
  });
}

export interface Unbound {
  /** UDP and TCP port. */
  plain: number;
  tls: number;
  https: number;
  /** The test CA that signed unbound's certificate (for `dns.test`). */
  pki: TestPki;
  /** A CA that did not sign it. */
  otherPki: TestPki;
  /** Stops the process (the ports stay reserved for start()). */
  stop(): Promise<void>;
  /** Starts it again on the same ports. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts Debian's unbound on 127.0.0.1 serving `localData` (unbound `local-data` lines, under a
 * static `test.` zone) over UDP, TCP, DNS over TLS and DNS over HTTPS, with a certificate for
 * `dns.test` from a throw-away CA. No internet is needed or used.
 */
export async function startUnbound(localData: string[], probeName = 'ready.test.'): Promise<Unbound> {
  const dir = mkdtempSync(join(tmpdir(), 'hz-unbound-'));
  const pki = makeTestPki(['dns.test']);
  const otherPki = makeTestPki(['dns.test'], 'untrusted');
  const [plain, tls, https] = [await freePort(), await freePort(), await freePort()];
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
    local-data: "${probeName} 300 IN A 192.0.2.1"
${localData.map((l) => `    local-data: "${l}"`).join('\n')}
remote-control:
    control-enable: no
`);
  execFileSync('unbound-checkconf', [conf], { stdio: 'pipe' });
  let child: ChildProcess | null = null;
  const start = async (): Promise<void> => {
    const c = spawn('unbound', ['-d', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    let log = '';
    c.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
    for (let i = 0; ; i++) {
      if (c.exitCode !== null || i > 50) throw new Error(`unbound did not start:\n${log}`);
      if (await answers(plain, probeName)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const stop = async (): Promise<void> => {
    if (child) await stopChild(child);
    child = null;
  };
  await start();
  return {
    plain, tls, https, pki, otherPki, start, stop,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
      pki.cleanup();
      otherPki.cleanup();
    },
  };
}
