/**
 * `forward.upstreams: system` against a starting daemon, asked with dig: the nameservers of a
 * resolv.conf (a temp file here) are the upstreams; one that is horizond itself is skipped and
 * logged; a change to the file is picked up without a restart. The fake upstreams and horizond
 * listen on port 53 of their own 127.53.x.y addresses (resolv.conf has no ports), so this needs
 * root, as CI has.
 */
import t from 'tap';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dig } from '../helpers/dig.js';
import { startDaemon, type Daemon } from '../helpers/daemon.js';
import { FakeUpstream, aRecord } from '../helpers/fake-upstream.js';

if (process.getuid?.() !== 0 && !process.env.CI) {
  t.skip('port 53 on a loopback address needs root', () => {});
} else {
  const net = `127.53.${Math.floor(Math.random() * 250) + 1}`;
  const SELF = `${net}.3`;

  let one: FakeUpstream;
  let two: FakeUpstream;
  let d: Daemon;
  t.before(async () => {
    one = await FakeUpstream.start(undefined, { address: `${net}.1`, port: 53 });
    two = await FakeUpstream.start(undefined, { address: `${net}.2`, port: 53 });
    one.set('www.example.com.', { answer: [aRecord('www.example.com.', '192.0.2.1')] });
    two.set('next.example.com.', { answer: [aRecord('next.example.com.', '192.0.2.2')] });
    d = await startDaemon({
      config: `server: { listen: [ { address: ${SELF}, port: 53 } ] }
metrics: { enabled: false }
forward: { upstreams: system, resolvConf: resolv.conf, timeout: 500ms }
`,
      files: { 'resolv.conf': `# as a DHCP client writes it\nsearch lan\nnameserver ${SELF}\nnameserver ${net}.1\n` },
    });
  });
  t.teardown(async () => {
    await d?.stop();
    await one?.close();
    await two?.close();
  });

  /** Replaces resolv.conf the way resolvconf and DHCP clients do (write beside, rename over). */
  const rewrite = (text: string): void => {
    writeFileSync(join(d.dir, 'resolv.conf.new'), text);
    renameSync(join(d.dir, 'resolv.conf.new'), join(d.dir, 'resolv.conf'));
  };
  const reloads = (): number => d.logs.filter((r) => r.msg === 'reloaded').length;

  t.test('the nameservers of resolv.conf answer; horizond itself is skipped and logged', async (t) => {
    const skip = await d.waitLog((r) => typeof r.msg === 'string' && r.msg.includes(`skipping nameserver ${SELF}`));
    t.equal(skip.level, 'warn');
    const using = await d.waitLog((r) => r.msg === 'forwarding to the system nameservers');
    t.same(using.upstreams, [`udp://${net}.1:53`]);
    const r = await dig(SELF, 53, 'www.example.com', 'A', ['+rec']);
    t.equal(r.status, 'NOERROR');
    t.same(r.answer.map((l) => l.split(' ')[4]), ['192.0.2.1']);
    t.ok(r.flags.includes('ra'));
    t.equal(one.count('www.example.com.'), 1, 'asked the nameserver from resolv.conf once');
    t.equal(d.logs.filter((l) => String(l.msg).includes('skipping nameserver')).length, 1, 'skipped once, at load');
  });

  t.test('a changed resolv.conf is read again without a restart', async (t) => {
    const before = reloads();
    rewrite(`nameserver ${net}.2\n`);
    await d.waitLog((r) => r.msg === 'reloaded' && reloads() > before, 20_000);
    const r = await dig(SELF, 53, 'next.example.com', 'A', ['+rec']);
    t.same(r.answer.map((l) => l.split(' ')[4]), ['192.0.2.2']);
    t.equal(two.count('next.example.com.'), 1, 'the new nameserver answered');
    t.equal(one.count('next.example.com.'), 0, 'the old one was not asked');
  });

  t.test('only horizond itself in resolv.conf: no upstream (REFUSED, as with none configured), never a loop', async (t) => {
    const before = reloads();
    rewrite(`nameserver ${SELF}\n`);
    await d.waitLog((r) => r.msg === 'reloaded' && reloads() > before, 20_000);
    await d.waitLog((r) => typeof r.msg === 'string' && r.msg.includes('no usable nameserver'));
    const r = await dig(SELF, 53, 'other.example.com', 'A', ['+rec']);
    t.equal(r.status, 'REFUSED');
    t.equal(one.count('other.example.com.') + two.count('other.example.com.'), 0);
  });
}
