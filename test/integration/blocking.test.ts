import t from 'tap';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, ROOT, type Daemon } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { aRecord, FakeUpstream } from '../helpers/fake-upstream.js';
import { RClass, RRType } from '../../src/wire/constants.js';
import { nameToWire } from '../../src/wire/name.js';

/**
 * Blocking end to end: the real daemon with lists in every format, per-view groups, dig and kdig
 * as clients. 127.0.0.1 is the LAN (groups ads and malware), 127.0.0.2 the cluster (no group).
 */

const run = promisify(execFile);
const LAN = ['-b', '127.0.0.1'];
const K8S = ['-b', '127.0.0.2'];
const H = '127.0.0.1';

function cname(name: string, target: string) {
  return { name, type: RRType.CNAME, class: RClass.IN, ttl: 300, rdata: nameToWire(target) };
}

function config(upstream: number, extra = ''): string {
  return `server:
  listen:
    - { address: 127.0.0.1, port: 0 }
  dataDir: data
networks:
  lan: [127.0.0.1/32]
  k8s: [127.0.0.2/32]
zones:
  - { name: home.lan., file: zones/home.lan.zone }
forward:
  upstreams:
    - { address: 127.0.0.1, port: ${upstream}, protocol: udp }
blocking:
  lists:
    ads: [lists/hosts.txt, lists/adblock.txt]
    malware: [lists/domains.txt]
  allow: [lists/allow.txt]
${extra}views:
  list:
    - { name: lan, match: [lan], blocking: [ads, malware] }
    - name: k8s
      match: [k8s]
      blocking: []
      zones:
        - { name: corp.lan., file: zones/corp.lan.zone }
`;
}

const example = (f: string) => readFileSync(join(ROOT, 'config/examples/lists', f), 'utf8');

let up: FakeUpstream;
let d: Daemon;
t.before(async () => {
  up = await FakeUpstream.start();
  up.set('ads.example.com.', { answer: [aRecord('ads.example.com.', '192.0.2.2')] });
  up.set('www.example.com.', { answer: [aRecord('www.example.com.', '192.0.2.1')] });
  up.set('ok.tracker.example.net.', { answer: [aRecord('ok.tracker.example.net.', '192.0.2.3')] });
  up.set('cdn.allowed-by-allowlist.example.', { answer: [aRecord('cdn.allowed-by-allowlist.example.', '192.0.2.4')] });
  up.set('x.corp.lan.', { answer: [aRecord('x.corp.lan.', '10.0.0.5')] });
  up.set('cloaked.example.com.', { answer: [cname('cloaked.example.com.', 'first-party.example.com.'), cname('first-party.example.com.', 'edge.tracker.example.net.'), aRecord('edge.tracker.example.net.', '192.0.2.9')] });
  d = await startDaemon({
    config: config(up.port),
    copyZones: true,
    files: {
      'lists/hosts.txt': `${example('hosts.txt')}0.0.0.0 nas.home.lan corp.lan\n`,
      'lists/adblock.txt': example('adblock.txt'),
      'lists/domains.txt': example('domains.txt'),
      'lists/allow.txt': example('allow.txt'),
      'zones/corp.lan.zone': '$ORIGIN corp.lan.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 300\n@ NS ns\nns A 10.0.0.1\n',
    },
  });
});
t.teardown(async () => {
  await d?.stop();
  await up?.close();
});

t.test('zero: A gets 0.0.0.0, AAAA gets ::, other types NODATA; EDE 15 names the group', async (t) => {
  const a = await dig(H, d.port, 'ads.example.com', 'A', LAN);
  t.equal(a.status, 'NOERROR');
  t.same(a.answer, ['ads.example.com. 300 IN A 0.0.0.0']);
  t.ok(a.flags.includes('ra') && !a.flags.includes('aa'), 'RA, not AA');
  t.ok(a.opt.some((l) => /EDE: 15 \(Blocked\): \(ads\)/.test(l)), a.opt.join('\n'));
  const aaaa = await dig(H, d.port, 'popup.example.com', 'AAAA', LAN);
  t.same(aaaa.answer, ['popup.example.com. 300 IN AAAA ::']);
  const mx = await dig(H, d.port, 'tracker.example.net', 'MX', LAN);
  t.equal(mx.status, 'NOERROR');
  t.same(mx.answer, []);
  t.match(mx.authority[0], /^tracker\.example\.net\. 300 IN SOA localhost\. nobody\.invalid\. 1 3600 600 86400 300$/);
  const mal = await dig(H, d.port, 'deep.x.botnet.example', 'A', LAN);
  t.same(mal.answer, ['deep.x.botnet.example. 300 IN A 0.0.0.0'], 'a wildcard blocks below');
  t.ok(mal.opt.some((l) => /\(malware\)/.test(l)));
  t.equal(up.count('ads.example.com.'), 0, 'never forwarded');
});

t.test('kdig sees EDE 15 with the group as extra text', async (t) => {
  const kdig = async (type: string) => (await run('kdig', [`@${H}`, '-p', String(d.port), '-b', '127.0.0.1', 'banner.example.com', type, '+edns', '+timeout=3', '+retry=0'], { timeout: 15000 })).stdout;
  const a = await kdig('A');
  t.match(a, /EDE: 15 \(Blocked\): 'ads'/, a);
  t.match(a, /banner\.example\.com\.\s+300\s+IN\s+A\s+0\.0\.0\.0/);
  const aaaa = await kdig('AAAA');
  t.match(aaaa, /banner\.example\.com\.\s+300\s+IN\s+AAAA\s+::/, aaaa);
  t.match(aaaa, /EDE: 15 \(Blocked\)/);
});

t.test('allow entries and @@ exceptions win for the name and below; unlisted names are forwarded', async (t) => {
  t.same((await dig(H, d.port, 'ok.tracker.example.net', 'A', LAN)).answer, ['ok.tracker.example.net. 300 IN A 192.0.2.3']);
  t.same((await dig(H, d.port, 'cdn.allowed-by-allowlist.example', 'A', LAN)).answer, ['cdn.allowed-by-allowlist.example. 300 IN A 192.0.2.4']);
  const www = await dig(H, d.port, 'www.example.com', 'A', LAN);
  t.same(www.answer, ['www.example.com. 300 IN A 192.0.2.1']);
  t.notOk(www.opt.some((l) => /EDE/.test(l)));
});

t.test('a view with blocking: [] gets everything', async (t) => {
  t.same((await dig(H, d.port, 'ads.example.com', 'A', K8S)).answer, ['ads.example.com. 300 IN A 192.0.2.2']);
});

t.test('the site\'s own zones are never blocked, also in a view that only forwards them', async (t) => {
  const nas = await dig(H, d.port, 'nas.home.lan', 'A', LAN);
  t.same(nas.answer, ['nas.home.lan. 3600 IN A 192.168.1.20']);
  t.ok(nas.flags.includes('aa'));
  // corp.lan is a zone of view k8s only; the LAN forwards it, and the list names it: not blocked.
  t.same((await dig(H, d.port, 'x.corp.lan', 'A', LAN)).answer, ['x.corp.lan. 300 IN A 10.0.0.5']);
});

t.test('CNAME cloaking: a forwarded chain through a blocked name is blocked, for the LAN only', async (t) => {
  const lan = await dig(H, d.port, 'cloaked.example.com', 'A', LAN);
  t.same(lan.answer, ['cloaked.example.com. 300 IN A 0.0.0.0']);
  t.ok(lan.opt.some((l) => /EDE: 15 \(Blocked\): \(ads\)/.test(l)));
  const again = await dig(H, d.port, 'cloaked.example.com', 'A', LAN);
  t.same(again.answer, ['cloaked.example.com. 300 IN A 0.0.0.0'], 'also when served from the cache');
  const k8s = await dig(H, d.port, 'cloaked.example.com', 'A', K8S);
  t.equal(k8s.answer.length, 3, 'the cache kept the real chain for views without the group');
  t.equal(up.count('cloaked.example.com.'), 1);
});

t.test('metrics count blocked answers by view and group', async (t) => {
  const res = await fetch(`http://${d.metrics!.address}:${d.metrics!.port}/metrics`);
  const text = await res.text();
  t.match(text, /horizond_blocking_blocked_total\{view="lan",group="ads"\} [1-9]/);
  t.match(text, /horizond_blocking_blocked_total\{view="lan",group="malware"\} [1-9]/);
  t.match(text, /horizond_blocking_blocked_total\{view="k8s",group="ads"\} 0/);
  t.match(text, /horizond_dns_responses_total\{source="blocklist",rcode="NOERROR"\} [1-9]/);
  t.match(text, /horizond_blocking_unsupported_lines\{source="lists\/adblock.txt"\} 3/);
});

t.test('a changed list file applies without a restart; a deleted one keeps its last good copy', async (t) => {
  appendFileSync(join(d.dir, 'lists/domains.txt'), 'newly-listed.example\n');
  await d.waitLog((r) => r.msg === 'blocklists loaded' && d.logs.filter((x) => x.msg === 'blocklists loaded').length >= 2, 20000);
  t.same((await dig(H, d.port, 'newly-listed.example', 'A', LAN)).answer, ['newly-listed.example. 300 IN A 0.0.0.0']);
  const { rmSync } = await import('node:fs');
  rmSync(join(d.dir, 'lists/domains.txt'));
  await d.waitLog((r) => r.source === 'lists/domains.txt' && r.result === 'missing', 20000);
  t.same((await dig(H, d.port, 'newly-listed.example', 'A', LAN)).answer, ['newly-listed.example. 300 IN A 0.0.0.0'], 'last good copy serves');
});

t.test('answer: nxdomain via reload', async (t) => {
  const before = d.logs.filter((r) => r.msg === 'reloaded').length;
  writeFileSync(join(d.dir, 'horizond.yaml'), config(up.port, '  answer: nxdomain\n  ttl: 1m\n'));
  await d.waitLog(() => d.logs.filter((r) => r.msg === 'reloaded').length > before, 20000);
  const r = await dig(H, d.port, 'ads.example.com', 'A', LAN);
  t.equal(r.status, 'NXDOMAIN');
  t.match(r.authority[0], /^ads\.example\.com\. 60 IN SOA /);
  t.ok(r.opt.some((l) => /EDE: 15/.test(l)));
});
