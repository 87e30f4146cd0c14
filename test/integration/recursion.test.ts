import t from 'tap';
import { startDaemon, exampleConfig, type Daemon } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { FakeUpstream, aRecord } from '../helpers/fake-upstream.js';

/**
 * "May this client recurse" is decided once per query and read by both the RA flag and the
 * recursion ACL (issue 12). Regression: with recursion.allow 127.0.0.1/32 and forwarding
 * configured, the authoritative memo used to keep the first asker's RA for every later client.
 * Real dig from two loopback source addresses against a starting daemon.
 */
let d: Daemon;
let up: FakeUpstream;
const H = '127.0.0.1';
const ALLOWED = ['-b', '127.0.0.1'];
const OUTSIDER = ['-b', '127.0.0.2'];

t.before(async () => {
  up = await FakeUpstream.start();
  up.set('www.example.com.', { answer: [aRecord('www.example.com.', '192.0.2.77', 300)] });
  d = await startDaemon({
    config: exampleConfig(`recursion: { allow: [127.0.0.1/32] }
forward: { upstreams: [{ address: ${up.address}, port: ${up.port} }] }
`),
    copyZones: true,
  });
});
t.teardown(async () => {
  await d?.stop();
  await up?.close();
});

t.test('an allowed client first, then an outsider: RA only for the allowed one', async (t) => {
  const first = await dig(H, d.port, 'www.home.lan', 'A', ALLOWED);
  t.equal(first.status, 'NOERROR');
  t.same(first.flags.filter((f) => f !== 'rd'), ['qr', 'aa', 'ra'], 'allowed client: qr aa ra');
  const second = await dig(H, d.port, 'www.home.lan', 'A', OUTSIDER);
  t.equal(second.status, 'NOERROR');
  t.ok(second.flags.includes('aa'), 'the outsider still gets the zone data');
  t.notOk(second.flags.includes('ra'), 'but no RA: it may not recurse here');
  t.same(second.answer, first.answer, 'the same answer from the memo');
});

t.test('an outsider first, then an allowed client: the allowed one gets RA', async (t) => {
  const first = await dig(H, d.port, 'host1.home.lan', 'A', OUTSIDER);
  t.notOk(first.flags.includes('ra'), 'outsider: no RA');
  const second = await dig(H, d.port, 'host1.home.lan', 'A', ALLOWED);
  t.ok(second.flags.includes('ra'), 'allowed client: RA');
  t.ok(second.flags.includes('aa'));
});

t.test('the ACL reads the same decision: the outsider is refused recursion', async (t) => {
  const out = await dig(H, d.port, 'www.example.com', 'A', OUTSIDER);
  t.equal(out.status, 'REFUSED');
  t.notOk(out.flags.includes('ra'));
  const ok = await dig(H, d.port, 'www.example.com', 'A', ALLOWED);
  t.equal(ok.status, 'NOERROR');
  t.ok(ok.flags.includes('ra'));
  t.match(ok.answer.join('\n'), /192\.0\.2\.77/);
});
