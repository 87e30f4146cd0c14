import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, type Daemon } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { FakeUpstream, aRecord } from '../helpers/fake-upstream.js';
import { RClass, RRType } from '../../src/wire/constants.js';
import { nameToWire } from '../../src/wire/name.js';
import { FIXTURES } from '../fixtures/views/setup.js';

/**
 * The hairpin-NAT scenario end to end: the shipped example config (test/fixtures/views/
 * hairpin.yaml) with only its addresses moved to loopback, a fake upstream that knows the public
 * answers, and the real `dig` from a LAN-view (127.0.0.2) and a k8s-view (127.0.0.3) address.
 */

function replaceOnce(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`hairpin.yaml no longer contains: ${from}`);
  return text.replace(from, to);
}

let d: Daemon;
let up: FakeUpstream;
t.before(async () => {
  up = await FakeUpstream.start();
  up.set('app.example.net.', { answer: [aRecord('app.example.net.', '203.0.113.10', 3600)] });
  up.set('10.113.0.203.in-addr.arpa.', {
    answer: [{ name: '10.113.0.203.in-addr.arpa.', type: RRType.PTR, class: RClass.IN, ttl: 1800, rdata: nameToWire('app.example.net.') }],
  });
  up.set('evil.example.com.', { answer: [aRecord('evil.example.com.', '192.168.1.1', 60)] });
  let yaml = readFileSync(join(FIXTURES, 'hairpin.yaml'), 'utf8');
  yaml = replaceOnce(yaml, '- { address: 192.168.1.2, port: 53 }', '- { address: 127.0.0.1, port: 0 }');
  yaml = replaceOnce(yaml, '- { address: 192.0.2.53 }', `- { address: 127.0.0.1, port: ${up.port} }`);
  yaml = replaceOnce(yaml, 'lan: [192.168.1.0/24, "fd00:1::/64"]', 'lan: [192.168.1.0/24, "fd00:1::/64", 127.0.0.2]');
  yaml = replaceOnce(yaml, 'k8s: [10.0.20.0/24, 10.244.0.0/16]', 'k8s: [10.0.20.0/24, 10.244.0.0/16, 127.0.0.3]');
  d = await startDaemon({ config: yaml });
});
t.teardown(async () => {
  await d?.stop();
  await up?.close();
});

const H = '127.0.0.1';
const LAN = ['-b', '127.0.0.2'];
const K8S = ['-b', '127.0.0.3'];

t.test('LAN gets the internal address, k8s the public one, from one upstream answer', async (t) => {
  const lan = await dig(H, d.port, 'app.example.net', 'A', LAN);
  t.equal(lan.status, 'NOERROR');
  t.match(lan.answer, [/^app\.example\.net\. \d+ IN A 10\.0\.20\.200$/]);
  const k8s = await dig(H, d.port, 'app.example.net', 'A', K8S);
  t.match(k8s.answer, [/^app\.example\.net\. \d+ IN A 203\.0\.113\.10$/]);
  const lanAgain = await dig(H, d.port, 'app.example.net', 'A', LAN);
  t.match(lanAgain.answer, [/ IN A 10\.0\.20\.200$/]);
  t.equal(up.count('app.example.net.'), 1, 'asked upstream once: the other answers are cache hits');
  const ttl = (line: string) => Number(line.split(' ')[1]);
  t.ok(ttl(lan.answer[0]!) <= 3600 && ttl(lan.answer[0]!) >= 3590, 'TTL is the upstream one');
  t.ok(ttl(k8s.answer[0]!) <= ttl(lan.answer[0]!), 'the cached copy ages');
});

t.test('PTR: from the LAN the internal address shows the public name; from k8s it is asked as is', async (t) => {
  const lan = await dig(H, d.port, '200.20.0.10.in-addr.arpa', 'PTR', LAN);
  t.equal(lan.status, 'NOERROR');
  t.match(lan.answer, [/^200\.20\.0\.10\.in-addr\.arpa\. (17|18)\d\d IN PTR app\.example\.net\.$/]);
  t.equal(up.count('10.113.0.203.in-addr.arpa.'), 1, 'resolved as the external name');
  t.equal(up.count('200.20.0.10.in-addr.arpa.'), 0);
  const k8s = await dig(H, d.port, '200.20.0.10.in-addr.arpa', 'PTR', K8S);
  t.equal(k8s.status, 'NXDOMAIN', 'the fake upstream knows no such name');
  t.equal(up.count('200.20.0.10.in-addr.arpa.'), 1);
});

t.test('rebinding: a public name pointing into the LAN is blocked, the translated answer never is', async (t) => {
  const r = await dig(H, d.port, 'evil.example.com', 'A', K8S);
  t.equal(r.status, 'NOERROR');
  t.same(r.answer, []);
  t.match(r.raw, /EDE: 15 \(Blocked\)/);
  const lan = await dig(H, d.port, 'evil.example.com', 'A', LAN);
  t.same(lan.answer, [], 'the LAN view does not get it either');
  t.match((await dig(H, d.port, 'app.example.net', 'A', LAN)).answer, [/ IN A 10\.0\.20\.200$/]);
});
