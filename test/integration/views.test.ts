import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, type Daemon } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { FIXTURES } from '../fixtures/views/setup.js';

/**
 * Split horizon end to end with the real daemon and the real `dig`, from several loopback
 * source addresses (`dig -b`): 127.0.0.2 stands in for a LAN client, 127.0.0.3 for a cluster
 * node, 127.0.0.4 for the cluster's DNS forwarder, and 127.0.0.1 for everyone else.
 */

const zone = (rel: string) => readFileSync(join(FIXTURES, rel), 'utf8');

function config(lanMatch = '[192.168.1.0/24, 127.0.0.2]'): string {
  return `server:
  listen:
    - { address: 127.0.0.1, port: 0 }
log: { level: info }
networks:
  lan: ${lanMatch}
  k8s: [10.0.20.0/24, 127.0.0.3]
  coredns: [127.0.0.4]
zones:
  - { name: example.net., file: zones/example.net.zone }
  - { name: home.lan., file: zones/home.lan.zone }
  - { name: 113.0.203.in-addr.arpa., file: zones/113.0.203.in-addr.arpa.zone }
views:
  trustedForwarders: [coredns]
  list:
    - name: lan
      match: [lan]
      translate:
        - { external: 203.0.113.25, internal: 192.168.1.25 }
      translateReverse: true
      zones:
        - { name: example.net., file: zones/lan/example.net.zone }
        - { name: corp.example., file: zones/lan/corp.example.zone, fallthrough: true }
    - name: k8s
      match: [k8s]
      translate:
        - { external: 203.0.113.10, internal: 10.0.20.200 }
    - name: default
`;
}

const LAN = ['-b', '127.0.0.2'];
const K8S = ['-b', '127.0.0.3'];
const FWD = ['-b', '127.0.0.4'];
const H = '127.0.0.1';

let d: Daemon;
t.before(async () => {
  d = await startDaemon({
    config: config(),
    files: {
      'zones/example.net.zone': zone('example.net.zone'),
      'zones/home.lan.zone': zone('home.lan.zone'),
      'zones/113.0.203.in-addr.arpa.zone': zone('113.0.203.in-addr.arpa.zone'),
      'zones/lan/example.net.zone': zone('lan/example.net.zone'),
      'zones/lan/corp.example.zone': zone('lan/corp.example.zone'),
    },
  });
});
t.teardown(() => d?.stop());

t.test('source address picks the view: each sees its own example.net', async (t) => {
  const lan = await dig(H, d.port, 'example.net', 'A', LAN);
  t.equal(lan.status, 'NOERROR');
  t.same(lan.answer, ['example.net. 120 IN A 192.168.1.50'], 'LAN: its own zone');
  const k8s = await dig(H, d.port, 'example.net', 'A', K8S);
  t.same(k8s.answer, ['example.net. 300 IN A 10.0.20.200'], 'k8s: the public zone, translated (TTL kept)');
  const other = await dig(H, d.port, 'example.net', 'A');
  t.same(other.answer, ['example.net. 300 IN A 203.0.113.10'], 'everyone else: public answer');
});

t.test('a view with its own zone: wildcard alias for the LAN, NXDOMAIN elsewhere', async (t) => {
  const lan = await dig(H, d.port, 'immich.example.net', 'A', LAN);
  t.same(lan.answer, ['immich.example.net. 120 IN CNAME example.net.', 'example.net. 120 IN A 192.168.1.50']);
  t.ok(lan.flags.includes('aa'));
  const other = await dig(H, d.port, 'immich.example.net', 'A');
  t.equal(other.status, 'NXDOMAIN');
  t.match(other.authority[0], /^example\.net\. \d+ IN SOA /);
  for (const args of [LAN, K8S, []]) {
    t.same((await dig(H, d.port, 'router.home.lan', 'A', args)).answer, ['router.home.lan. 600 IN A 192.168.1.1'], 'global zone in every view');
  }
});

t.test('fallthrough zone: held names answered, others not NXDOMAIN', async (t) => {
  t.same((await dig(H, d.port, 'wiki.corp.example', 'A', LAN)).answer, ['wiki.corp.example. 120 IN A 192.168.1.80']);
  const missing = await dig(H, d.port, 'jira.corp.example', 'A', LAN);
  t.not(missing.status, 'NXDOMAIN', `went on down the chain (${missing.status})`);
  t.not((await dig(H, d.port, 'wiki.corp.example', 'A', K8S)).status, 'NOERROR', 'LAN-only zone');
});

t.test('translateReverse: PTR of the internal address shows the public name', async (t) => {
  const r = await dig(H, d.port, '25.1.168.192.in-addr.arpa', 'PTR', LAN);
  t.equal(r.status, 'NOERROR');
  t.same(r.answer, ['25.1.168.192.in-addr.arpa. 900 IN PTR mail.example.net.']);
  const outside = await dig(H, d.port, '25.1.168.192.in-addr.arpa', 'PTR', K8S);
  t.same(outside.answer, [], 'no translation in the k8s view');
});

t.test('EDNS Client Subnet from the trusted forwarder selects the view; from others it is ignored', async (t) => {
  const viaFwd = await dig(H, d.port, 'example.net', 'A', [...FWD, '+subnet=192.168.1.0/24']);
  t.same(viaFwd.answer, ['example.net. 120 IN A 192.168.1.50'], 'forwarder speaking for a LAN client');
  const fwdOwn = await dig(H, d.port, 'example.net', 'A', FWD);
  t.same(fwdOwn.answer, ['example.net. 300 IN A 203.0.113.10'], 'forwarder without ECS: its own view (default)');
  const spoof = await dig(H, d.port, 'example.net', 'A', [...K8S, '+subnet=192.168.1.0/24']);
  t.same(spoof.answer, ['example.net. 300 IN A 10.0.20.200'], 'untrusted ECS ignored');
});

t.test('reload: new views apply to the next query; a bad config is refused', async (t) => {
  const file = join(d.dir, 'horizond.yaml');
  writeFileSync(file, config('[192.168.1.0/24]'));
  d.proc.kill('SIGHUP');
  await d.waitLog((r) => r.msg === 'reloaded');
  t.same((await dig(H, d.port, 'example.net', 'A', LAN)).answer, ['example.net. 300 IN A 203.0.113.10'], '127.0.0.2 is no longer in the LAN');
  writeFileSync(file, config('[192.168.1.0/24, 127.0.0.2]').replace('match: [k8s]', 'match: [nosuchnetwork]'));
  d.proc.kill('SIGHUP');
  await d.waitLog((r) => typeof r.msg === 'string' && r.msg.startsWith('reload refused') && String(r.msg).includes('nosuchnetwork'));
  t.same((await dig(H, d.port, 'example.net', 'A', K8S)).answer, ['example.net. 300 IN A 10.0.20.200'], 'old views keep serving');
  t.same((await dig(H, d.port, 'example.net', 'A', LAN)).answer, ['example.net. 300 IN A 203.0.113.10']);
});
