import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type Daemon } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { freePort } from '../helpers/ports.js';
import { stopChild } from '../helpers/process.js';

/**
 * Issue #15, finding 2: an ECS-aware forwarder in front (Unbound with `subnetcache` and
 * `send-client-subnet`, as the README recommends) caches each answer for the SCOPE
 * PREFIX-LENGTH horizond echoes (RFC 7871 §7.2.1). Without a scope, whoever asked first decided
 * the answer for everyone; with it, the LAN client gets its translated internal address and a
 * client of another view the public one, whichever asks first.
 */

const ZONE = `$ORIGIN site.test.
$TTL 300
@   IN SOA ns1 hostmaster 1 3600 600 86400 60
    IN NS  ns1
ns1 IN A   203.0.113.53
a   IN A   203.0.113.25
b   IN A   203.0.113.25
c   IN A   203.0.113.99
`;

const LAN_CLIENT = '127.0.1.5';
const LAN_NEIGHBOUR = '127.0.1.77';
const OTHER_CLIENT = '127.0.2.5';

let d: Daemon;
let unbound: ChildProcess;
let unboundPort = 0;
let unboundDir = '';

t.before(async () => {
  d = await startDaemon({
    files: { 'zones/site.test.zone': ZONE },
    config: `server:
  listen:
    - { address: 127.0.0.1, port: 0 }
log: { level: info }
networks:
  lan: [127.0.1.0/24]
  resolver: [127.0.0.1]
zones:
  - { name: site.test., file: zones/site.test.zone }
views:
  trustedForwarders: [resolver]
  list:
    - name: lan
      match: [lan]
      translate:
        - { external: 203.0.113.25, internal: 192.168.1.25 }
    - name: default
`,
  });
  unboundDir = mkdtempSync(join(tmpdir(), 'hz-unbound-ecs-'));
  unboundPort = await freePort();
  const conf = join(unboundDir, 'unbound.conf');
  writeFileSync(conf, `server:
    verbosity: 1
    num-threads: 1
    directory: "${unboundDir}"
    chroot: ""
    username: ""
    pidfile: "${join(unboundDir, 'unbound.pid')}"
    use-syslog: no
    logfile: ""
    do-ip6: no
    do-not-query-localhost: no
    so-reuseport: no
    module-config: "subnetcache iterator"
    interface: 127.0.0.1@${unboundPort}
    access-control: 127.0.0.0/8 allow
    outgoing-interface: 127.0.0.1
    send-client-subnet: 127.0.0.1
    client-subnet-always-forward: yes
    max-client-subnet-ipv4: 24
    qname-minimisation: no
    domain-insecure: "site.test"
    local-zone: "test." nodefault
forward-zone:
    name: "site.test"
    forward-addr: 127.0.0.1@${d.port}
`);
  unbound = spawn('/usr/sbin/unbound', ['-d', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  unbound.stderr!.on('data', (c) => (err += c));
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const r = await dig('127.0.0.1', unboundPort, 'ns1.site.test', 'A', ['+time=1']);
      if (r.status !== '') break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline || unbound.exitCode !== null) throw new Error(`unbound did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
});

t.teardown(async () => {
  if (unbound) await stopChild(unbound);
  if (unboundDir) rmSync(unboundDir, { recursive: true, force: true });
  await d?.stop();
});

async function ask(from: string, name: string): Promise<string[]> {
  const r = await dig('127.0.0.1', unboundPort, name, 'A', ['-b', from]);
  return r.answer.map((l) => l.split(' ').pop()!);
}

t.test('horizond echoes ECS with the scope of the view decision', async (t) => {
  const lan = await dig('127.0.0.1', d.port, 'a.site.test', 'A', ['+subnet=127.0.1.0/24']);
  t.same(lan.answer.map((l) => l.split(' ').pop()), ['192.168.1.25'], 'the trusted resolver\'s ECS picked the LAN view');
  t.ok(lan.opt.some((l) => l.includes('CLIENT-SUBNET: 127.0.1.0/24/24')), `scope /24 echoed: ${lan.opt.join(' | ')}`);
  const other = await dig('127.0.0.1', d.port, 'a.site.test', 'A', ['+subnet=127.0.2.0/24']);
  t.same(other.answer.map((l) => l.split(' ').pop()), ['203.0.113.25']);
  t.ok(other.opt.some((l) => l.includes('CLIENT-SUBNET: 127.0.2.0/24/24')), 'outside the LAN network: /24 as well (the LAN /24 must not be covered)');
  const optOut = await dig('127.0.0.1', d.port, 'a.site.test', 'A', ['+subnet=0.0.0.0/0']);
  t.ok(optOut.opt.some((l) => l.includes('CLIENT-SUBNET: 0.0.0.0/0/0')), 'a 0/0 query gets scope 0');
  const untrusted = await dig('127.0.0.1', d.port, 'a.site.test', 'A', ['-b', '127.0.3.1', '+subnet=127.0.1.0/24']);
  t.same(untrusted.answer.map((l) => l.split(' ').pop()), ['203.0.113.25'], 'ECS from an untrusted client does not choose the view');
  t.ok(untrusted.opt.some((l) => l.includes('CLIENT-SUBNET: 127.0.1.0/24/0')), 'and is echoed with scope 0: the answer does not depend on it');
});

t.test('through Unbound subnetcache: LAN first, then another view', async (t) => {
  t.same(await ask(LAN_CLIENT, 'a.site.test'), ['192.168.1.25'], 'LAN client: internal address');
  t.same(await ask(OTHER_CLIENT, 'a.site.test'), ['203.0.113.25'], 'other client: public address, not the LAN answer Unbound cached');
  t.same(await ask(LAN_CLIENT, 'a.site.test'), ['192.168.1.25'], 'LAN again (from cache)');
  t.same(await ask(LAN_NEIGHBOUR, 'a.site.test'), ['192.168.1.25'], 'another LAN client in the same /24');
  t.same(await ask(OTHER_CLIENT, 'a.site.test'), ['203.0.113.25'], 'other again (from cache)');
});

t.test('through Unbound subnetcache: another view first, then LAN', async (t) => {
  t.same(await ask(OTHER_CLIENT, 'b.site.test'), ['203.0.113.25'], 'other client: public address');
  t.same(await ask(LAN_CLIENT, 'b.site.test'), ['192.168.1.25'], 'LAN client: internal address, not the public one Unbound cached');
  t.same(await ask(OTHER_CLIENT, 'b.site.test'), ['203.0.113.25'], 'other again');
  t.same(await ask(LAN_CLIENT, 'b.site.test'), ['192.168.1.25'], 'LAN again');
});
