/**
 * Replication between real daemons (dist/main.js), laid out as the StatefulSet runs them: a
 * primary taking Kea's updates and two secondaries of it, each on its own loopback address,
 * TSIG on transfers and NOTIFY, update forwarding on the secondaries. Checked from outside
 * only: nsupdate, dig, the log lines and /metrics.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dig } from '../helpers/dig.js';
import { startDaemon, type Daemon } from '../helpers/daemon.js';
import { freePort } from '../fixtures/xfr/replica.js';

const XFR = 'eGZyIGtleSBvZiB0aGUgZGFlbW9uIHJlcGxpY2F0aW9uIHRlc3Q=';
const KEA = 'a2VhIGtleSBvZiB0aGUgZGFlbW9uIHJlcGxpY2F0aW9uIHRlc3Q=';
const P = { host: '127.0.0.1', port: await freePort() };
const S1 = { host: '127.0.0.2', port: await freePort() };
const S2 = { host: '127.0.0.3', port: await freePort() };

const COMMON = `metrics: { listen: "127.0.0.1:0" }
keys:
  - { name: xfr., secret: "${XFR}" }
  - { name: kea-ddns., secret: "${KEA}" }
`;
const PRIMARY = `server: { listen: [ { address: ${P.host}, port: ${P.port} } ], dataDir: data }
${COMMON}zones:
  - name: home.test.
    file: home.test.zone
    # forwarded updates arrive from the secondaries (loopback here, the pod network in Kubernetes)
    update: { preset: kea, keys: [kea-ddns.], networks: [loopback] }
    notify: [ { address: ${S1.host}, port: ${S1.port}, key: xfr. }, { address: ${S2.host}, port: ${S2.port}, key: xfr. } ]
    allowTransfer: { keys: [xfr.] }
`;
const secondary = (s: { host: string; port: number }): string => `server: { listen: [ { address: ${s.host}, port: ${s.port} } ], dataDir: data }
${COMMON}zones:
  - name: home.test.
    type: secondary
    primaries: [ { address: ${P.host}, port: ${P.port}, key: xfr. } ]
    allowUpdateForwarding: true
`;
const ZONE = '$ORIGIN home.test.\n$TTL 300\n@ SOA ns hostmaster 100 3600 600 604800 60\n@ NS ns\nns A 192.0.2.1\nprinter A 192.168.1.5\n';

// The primary's directory outlives its process: it is started again on it below.
let primary = await startDaemon({ config: PRIMARY, files: { 'home.test.zone': ZONE }, keepDir: true });
const primaryDir = primary.dir;
let [s1, s2] = await Promise.all([startDaemon({ config: secondary(S1) }), startDaemon({ config: secondary(S2) })]);
t.teardown(async () => {
  await Promise.all([primary.stop(), s1.stop(), s2.stop()]);
  rmSync(primaryDir, { recursive: true, force: true });
});

function run(cmd: string, args: string[], input?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const c = execFile(cmd, args, { timeout: 15_000 }, (e, o, err) => resolve({ code: e ? Number(e.code ?? 1) : 0, out: o + err }));
    if (input !== undefined) c.stdin!.end(input);
  });
}

/** One signed update through `to`, as Kea would send it (UDP). */
const nsupdate = (to: { host: string; port: number }, line: string) =>
  run('nsupdate', ['-y', `hmac-sha256:kea-ddns.:${KEA}`, '-t', '8', '-u', '8', '-r', '0'],
    `server ${to.host} ${to.port}\nzone home.test.\n${line}\nsend\n`);

const addresses = async (d: Daemon, name: string): Promise<string[]> =>
  (await dig(d.bound[0]!.address, d.port, name, 'A')).answer.map((l) => l.split(' ')[4]!);

/** Polls `cond` every 20 ms; rejects after `ms`. */
async function eventually(what: string, cond: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Sum of the samples of `name` whose labels include `labels`, from the daemon's /metrics. */
async function metric(d: Daemon, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`http://${d.metrics!.address}:${d.metrics!.port}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m?.[1] !== name) continue;
    const have = new Map([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1]!, x[2]!]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) sum += Number(m[3]);
  }
  return sum;
}

const transferred = (serial: number, type: string) => (l: Record<string, unknown>) =>
  l.msg === 'zone transferred' && l.zone === 'home.test.' && l.serial === serial && l.type === type;

t.test('the secondaries start with a signed AXFR; unsigned transfers are refused', async (t) => {
  for (const s of [s1, s2]) {
    await s.waitLog(transferred(100, 'axfr'), 5000);
    t.same(await addresses(s, 'printer.home.test'), ['192.168.1.5'], `${s.bound[0]!.address} answers from the transfer`);
    t.equal(await metric(s, 'horizond_secondary_zone_available', { zone: 'home.test.' }), 1);
  }
  const unsigned = await run('dig', [`@${P.host}`, '-p', String(P.port), '+tries=1', '+time=3', 'home.test.', 'AXFR']);
  t.match(unsigned.out, /Transfer failed/, 'no key, no transfer');
  t.equal(await metric(primary, 'horizond_xfr_refused_total', { zone: 'home.test.' }), 1);
  // The primary counts a transfer once the last message is written: maybe just after the secondary has it.
  await eventually('two AXFRs counted', async () => await metric(primary, 'horizond_xfr_served_total', { zone: 'home.test.', type: 'axfr' }) === 2, 1000);
  t.pass('the primary counted one AXFR per secondary');
});

t.test('a signed update sent to a secondary is on every replica within 2 s, carried by IXFR', async (t) => {
  const sent = Date.now();
  const r = await nsupdate(S1, 'update add laptop.home.test. 60 A 192.168.1.50');
  t.equal(r.code, 0, `nsupdate verified the primary's signed answer relayed by the secondary ${r.out}`);
  for (const d of [primary, s1, s2]) {
    await eventually(`laptop on ${d.bound[0]!.address}`, async () => (await addresses(d, 'laptop.home.test'))[0] === '192.168.1.50', Math.max(0, 2000 - (Date.now() - sent)));
  }
  const ms = Date.now() - sent;
  t.ok(ms <= 2000, `visible on all three ${ms} ms after nsupdate started`);
  t.equal(await metric(s1, 'horizond_update_forwarded_total', { zone: 'home.test.', result: 'ok' }), 1, 'the secondary forwarded it');
  for (const s of [s1, s2]) {
    const l = await s.waitLog(transferred(101, 'ixfr'));
    t.equal(l.differences, 1, `${s.bound[0]!.address}: one difference`);
    t.equal(await metric(s, 'horizond_xfr_received_total', { zone: 'home.test.', type: 'ixfr' }), 1);
    t.equal(await metric(s, 'horizond_xfr_received_total', { zone: 'home.test.', type: 'axfr' }), 1, 'no second AXFR');
    t.ok(await metric(s, 'horizond_notify_received_total', { zone: 'home.test.', result: 'accepted' }) >= 1, 'told by NOTIFY');
  }
  await eventually('two IXFRs counted', async () => await metric(primary, 'horizond_xfr_served_total', { zone: 'home.test.', type: 'ixfr' }) === 2, 1000);
  await eventually('NOTIFYs acknowledged', async () => await metric(primary, 'horizond_notify_sent_total', { zone: 'home.test.', result: 'ok' }) >= 2, 2000);
  t.pass('the primary served two IXFRs, and both NOTIFYs were acknowledged');
});

t.test('primary down: a restarted secondary serves its saved copy at once; updates fail', async (t) => {
  t.equal(await primary.stop(), 0, 'the primary stopped');
  s2 = await s2.restart();
  const copy = s2.logs.findIndex((l) => l.msg === 'secondary zone served from its saved copy' && l.zone === 'home.test.');
  t.ok(copy >= 0 && copy < s2.logs.findIndex((l) => l.msg === 'ready'), 'the copy was loaded before the listeners opened');
  t.equal(s2.logs[copy]?.serial, 101);
  t.same(await addresses(s2, 'laptop.home.test'), ['192.168.1.50'], 'the update made before the restart is served');
  const soa = await dig(S2.host, S2.port, 'home.test.', 'SOA');
  t.ok(soa.flags.includes('aa'), 'authoritatively');
  t.equal(soa.answer[0]!.split(' ')[6], '101');
  t.equal(primary.proc.exitCode, 0, 'while the primary is still down');
  const r = await nsupdate(S2, 'update add phone.home.test. 60 A 192.168.1.51');
  t.match(r.out, /update failed: SERVFAIL/, 'no primary to forward to: SERVFAIL');
  t.equal(await metric(s2, 'horizond_update_forwarded_total', { zone: 'home.test.', result: 'failed' }), 1);
  t.same(await addresses(s1, 'laptop.home.test'), ['192.168.1.50'], 'the other secondary keeps answering too');
});

t.test('the primary back: it kept the journal, and updates through the restarted secondary flow again', async (t) => {
  const before = await Promise.all([s1, s2].map((s) => metric(s, 'horizond_xfr_received_total', { zone: 'home.test.', type: 'uptodate' })));
  primary = await startDaemon({ dir: primaryDir });
  t.same(await addresses(primary, 'laptop.home.test'), ['192.168.1.50'], 'the update survived in the journal');
  t.same(await addresses(primary, 'phone.home.test'), [], 'the update that failed is not applied late');
  // Its NOTIFYs on start make both secondaries check their serial against it at once.
  for (const [i, s] of [s1, s2].entries()) {
    await eventually(`${s.bound[0]!.address} checks with the primary`, async () =>
      await metric(s, 'horizond_xfr_received_total', { zone: 'home.test.', type: 'uptodate' }) > before[i]!, 1000);
  }
  const sent = Date.now();
  const r = await nsupdate(S2, 'update add phone.home.test. 60 A 192.168.1.51');
  t.equal(r.code, 0, r.out);
  for (const d of [primary, s1, s2]) {
    await eventually(`phone on ${d.bound[0]!.address}`, async () => (await addresses(d, 'phone.home.test'))[0] === '192.168.1.51', Math.max(0, 2000 - (Date.now() - sent)));
  }
  t.ok(Date.now() - sent <= 2000, `visible on all three after ${Date.now() - sent} ms`);
  await s2.waitLog(transferred(102, 'ixfr'));
  t.pass('the restarted secondary caught up by IXFR from its saved serial');
});

t.test('the primary restarted again keeps its IXFR history: a secondary that missed an update catches up by IXFR', async (t) => {
  // The first secondary goes away (its directory and saved copy stay) and misses an update.
  const exited = new Promise((r) => s1.proc.once('exit', r));
  s1.proc.kill('SIGTERM');
  await exited;
  const r = await nsupdate(P, 'update add tablet.home.test. 60 A 192.168.1.52');
  t.equal(r.code, 0, r.out);
  await s2.waitLog(transferred(103, 'ixfr'), 3000);
  t.equal(await primary.stop(), 0, 'the primary stopped');
  primary = await startDaemon({ dir: primaryDir });
  const restored = primary.logs.find((l) => l.msg === 'IXFR history restored' && l.zone === 'home.test.');
  t.equal(restored?.serial, 103, 'the primary took its IXFR history back from the data directory');
  s1 = await s1.restart();
  const l = await s1.waitLog(transferred(103, 'ixfr'), 3000);
  t.equal(l.differences, 1, 'from its saved serial 102: one difference');
  t.same(await addresses(s1, 'tablet.home.test'), ['192.168.1.52']);
  await eventually('the IXFR counted', async () => await metric(primary, 'horizond_xfr_served_total', { zone: 'home.test.', type: 'ixfr' }) === 1, 1000);
  t.equal(await metric(primary, 'horizond_xfr_served_total', { zone: 'home.test.', type: 'axfr' }), 0, 'no AXFR');
  t.equal(await metric(primary, 'horizond_xfr_served_total', { zone: 'home.test.', type: 'ixfr_full' }), 0, 'no IXFR answered with the whole zone');
});
