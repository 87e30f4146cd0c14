/**
 * Three replicas on loopback ports, as the StatefulSet runs them: one primary taking Kea's
 * updates, two secondaries that forward updates to it and follow it by NOTIFY and IXFR. Then
 * the bad cases: a NOTIFY from a stranger, the primary going away (a restarted secondary serves
 * its saved copy; a zone past its SOA expire answers SERVFAIL), and a primary back again.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import { TsigKey } from '../../src/tsig/keyring.js';
import { signRequest } from '../../src/tsig/sign.js';
import { buildUpdate, exchangeUdp, rec, sendUpdate } from '../fixtures/kea/update-client.js';
import { freePort, startReplica, type Replica } from '../fixtures/xfr/replica.js';

const XFR = 'eGZyIGtleSBmb3IgdGhlIHJlcGxpY2F0aW9uIHRlc3Rz';
const KEA = 'a2VhIGtleSBmb3IgdGhlIHJlcGxpY2F0aW9uIHRlc3Rz';
const kea = new TsigKey({ name: 'kea.', algorithm: 'hmac-sha256', secret: KEA });
const xfr = new TsigKey({ name: 'xfr.', algorithm: 'hmac-sha256', secret: XFR });

const [pPort, s1Port, s2Port] = [await freePort(), await freePort(), await freePort()];
const KEYS = `keys:\n  - { name: xfr., secret: "${XFR}" }\n  - { name: kea., secret: "${KEA}" }\n`;
const SECONDARY = (zone: string) => `  - name: ${zone}
    type: secondary
    primaries: [ { address: 127.0.0.1, port: ${pPort}, key: xfr. } ]
    allowUpdateForwarding: true
    allowTransfer: { keys: [xfr.] }
`;
const PRIMARY_YAML = `server: { listen: [ { address: 127.0.0.1, port: ${pPort} } ], dataDir: data }
${KEYS}zones:
  - name: home.test.
    file: home.test.zone
    update: { preset: kea, keys: [kea.], networks: [loopback] }
    notify: [ { address: 127.0.0.1, port: ${s1Port}, key: xfr. }, { address: 127.0.0.1, port: ${s2Port} } ]
    allowTransfer: { keys: [xfr.] }
  - name: short.test.
    file: short.test.zone
    allowTransfer: { keys: [xfr.] }
`;
const secondaryYaml = (port: number) => `server: { listen: [ { address: 127.0.0.1, port: ${port} } ], dataDir: data }
${KEYS}zones:
${SECONDARY('home.test.')}${SECONDARY('short.test.')}`;
const FILES = {
  'home.test.zone': '$ORIGIN home.test.\n$TTL 300\n@ SOA ns hostmaster 100 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\nprinter A 192.168.1.5\n',
  // refresh 1 s, retry 1 s, expire 3 s: a zone that expires soon after its primary goes away
  'short.test.zone': '$ORIGIN short.test.\n$TTL 60\n@ SOA ns hostmaster 1 1 1 3 60\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.80\n',
};

let primary = await startReplica({ yaml: PRIMARY_YAML, files: FILES });
const s1 = await startReplica({ yaml: secondaryYaml(s1Port) });
let s2: Replica = await startReplica({ yaml: secondaryYaml(s2Port) });
t.teardown(async () => {
  await Promise.all([primary.dispose(), s1.dispose(), s2.dispose()]);
});

/** The records (type) at a name on one replica, and the RCODE. */
const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

async function ask(port: number, name: string, type: 'A' | 'SOA' = 'A'): Promise<{ rcode: string; data: string[] }> {
  const q = dnsPacket.encode({ type: 'query', id: 1 + Math.floor(Math.random() * 60000), questions: [{ name, type }] });
  const wire = await exchangeUdp(port, q, 2000);
  const r = dnsPacket.decode(wire);
  const data = r.answers!.flatMap((a) => (a.type === 'SOA' && type === 'SOA' ? [String(a.data.serial)] : a.type === 'A' && type === 'A' ? [a.data] : []));
  return { rcode: RCODES[wire[3]! & 0xf]!, data };
}

async function until(what: string, cond: () => Promise<boolean>, ms: number): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < ms) {
    if (await cond().catch(() => false)) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${what}: not within ${ms} ms`);
}

t.test('the secondaries start with an AXFR of each zone and answer from it', async (t) => {
  for (const s of [s1, s2]) {
    for (const zone of ['home.test.', 'short.test.']) {
      await s.waitLog((l) => l.msg === 'zone transferred' && l.zone === zone && l.type === 'axfr');
    }
    t.same((await ask(s.port, 'printer.home.test')).data, ['192.168.1.5']);
  }
});

t.test('an update sent to a secondary is forwarded, applied once, and on every replica within 2 s by IXFR', async (t) => {
  const sent = Date.now();
  const r = await sendUpdate(s1Port, buildUpdate('home.test.', [], [rec('laptop.home.test. 60 IN A 192.168.1.50')]), kea);
  t.equal(r.rcode, 0, 'NOERROR, relayed from the primary');
  t.equal(r.tsig?.status, 'ok', 'the answer carries the primary\'s TSIG and verifies with the client\'s key');
  for (const [name, port] of [['primary', pPort], ['s1', s1Port], ['s2', s2Port]] as const) {
    await until(`laptop on ${name}`, async () => (await ask(port, 'laptop.home.test')).data[0] === '192.168.1.50', 2000 - (Date.now() - sent));
  }
  t.ok(Date.now() - sent < 2000, `visible everywhere after ${Date.now() - sent} ms`);
  for (const s of [s1, s2]) {
    const l = await s.waitLog((l) => l.msg === 'zone transferred' && l.zone === 'home.test.' && l.serial === 101);
    t.equal(l.type, 'ixfr', 'a small change travels as IXFR');
    t.equal(s.replication.counters.received.get('home.test.', 'ixfr'), 1);
  }
  t.equal(primary.replication.counters.served.get('home.test.', 'ixfr'), 2);
  const chained = await new Promise<string>((resolve) => execFile('dig', ['@127.0.0.1', '-p', String(s1Port), '-y', `hmac-sha256:xfr.:${XFR}`, 'home.test.', 'IXFR=100'], (_e, o, e) => resolve(o + e)));
  t.match(chained, /XFR size: 5 records/, 'a secondary serves IXFR from the differences it received (SOA 101, SOA 100, SOA 101, laptop, SOA 101)');
  t.match(chained, /laptop\.home\.test\.\s+60\s+IN\s+A\s+192\.168\.1\.50/);
  t.equal(primary.updates.counters.applied, 1, 'applied once, by the primary');
  t.equal(s1.updates.counters.received, 0, 'the secondary applied nothing itself');
  t.equal(s1.replication.counters.forwarded.get('home.test.', 'ok'), 1);
  t.equal(primary.replication.counters.notifyOut.get('home.test.', 'ok') >= 2, true, 'both secondaries acknowledged the NOTIFY');
});

t.test('an update the primary refuses comes back refused, unsigned updates too', async (t) => {
  const wrong = new TsigKey({ name: 'kea.', algorithm: 'hmac-sha256', secret: XFR });
  const bad = await sendUpdate(s2Port, buildUpdate('home.test.', [], [rec('evil.home.test. 60 IN A 192.0.2.66')]), wrong);
  t.equal(bad.rcode, 9, 'NOTAUTH from the primary (BADSIG), relayed');
  const unsigned = await sendUpdate(s2Port, buildUpdate('home.test.', [], [rec('evil.home.test. 60 IN A 192.0.2.66')]));
  t.equal(unsigned.rcode, 5, 'REFUSED by the primary\'s policy');
  t.same((await ask(pPort, 'evil.home.test')).data, []);
});

t.test('nsupdate over TCP through a secondary: the primary\'s signed answer reaches it intact', async (t) => {
  const out = await new Promise<string>((resolve) => {
    const p = execFile('nsupdate', ['-v', '-y', `hmac-sha256:kea.:${KEA}`], { timeout: 10_000 }, (_e, o, e) => resolve(o + e));
    p.stdin!.end(`server 127.0.0.1 ${s2Port}\nzone home.test.\nupdate add tablet.home.test. 60 A 192.168.1.51\nsend\n`);
  });
  t.equal(out, '', 'nsupdate verified the answer and reported no error');
  await until('tablet on s1', async () => (await ask(s1Port, 'tablet.home.test')).data[0] === '192.168.1.51', 2000);
  t.equal(s2.replication.counters.forwarded.get('home.test.', 'ok'), 3, 'relayed: the two refused ones earlier and this one');
});

/** Sends a NOTIFY for `zone` from `source` (optionally signed), returns the RCODE. */
async function notify(port: number, zone: string, source: string, key?: TsigKey): Promise<number> {
  let msg = dnsPacket.encode({ type: 'query', id: 321, flags: (4 << 11) | dnsPacket.AUTHORITATIVE_ANSWER, questions: [{ name: zone, type: 'SOA' }] });
  if (key) msg = signRequest(msg, key, Date.now() / 1000).wire;
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, source, r));
  try {
    return await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer to NOTIFY')), 2000);
      sock.on('message', (m) => { clearTimeout(timer); resolve(m[3]! & 0xf); });
      sock.send(msg, port, '127.0.0.1');
    });
  } finally {
    sock.close();
  }
}

t.test('a NOTIFY from a stranger is ignored and counted; one signed with a primary\'s key is not', async (t) => {
  const served = primary.replication.counters.served.get('home.test.', 'uptodate');
  t.equal(await notify(s2Port, 'home.test.', '127.0.0.2'), 5, 'REFUSED');
  t.equal(s2.replication.counters.notifyIn.get('home.test.', 'ignored'), 1);
  t.ok(s2.logs.some((l) => l.msg?.toString().startsWith('NOTIFY from a server that is not a primary') && l.client === '127.0.0.2'));
  t.equal(await notify(s2Port, 'nothere.test.', '127.0.0.2'), 9, 'NOTAUTH for a zone that is not a secondary here');
  await new Promise((r) => setTimeout(r, 300));
  t.equal(s2.logs.filter((l) => l.msg === 'zone transferred').length, 4, 'the stranger triggered no transfer');
  t.equal(await notify(s2Port, 'home.test.', '127.0.0.2', xfr), 0, 'signed with the primary\'s key: accepted');
  t.equal(s2.replication.counters.notifyIn.get('home.test.', 'accepted') >= 1, true);
  t.equal(primary.replication.counters.served.get('home.test.', 'uptodate'), served, 'the check found nothing to transfer');
});

t.test('with the primary gone, a restarted secondary serves its copy at once; a zone past EXPIRE answers SERVFAIL', async (t) => {
  await primary.close();
  await s2.close();
  s2 = await startReplica({ yaml: secondaryYaml(s2Port), dir: s2.dir });
  const l = await s2.waitLog((l) => l.msg === 'secondary zone served from its saved copy' && l.zone === 'home.test.');
  t.equal(l.serial, 102);
  t.same((await ask(s2Port, 'laptop.home.test')).data, ['192.168.1.50'], 'the update made before the restart is served');
  t.same((await ask(s2Port, 'printer.home.test')).data, ['192.168.1.5']);
  const ms = await until('short.test. expires', async () => (await ask(s2Port, 'www.short.test')).rcode === 'SERVFAIL', 5000);
  t.ok(ms > 0, `short.test. expired after ${ms} ms`);
  await s2.waitLog((l) => typeof l.msg === 'string' && l.msg.startsWith('secondary zone expired') && l.zone === 'short.test.');
  t.equal((await ask(s2Port, 'www.short.test')).rcode, 'SERVFAIL');
  t.same((await ask(s2Port, 'printer.home.test')).data, ['192.168.1.5'], 'a zone within its expire time still answers');
  // The refresh that failed is counted once its SOA query gives up, which may be after the expiry.
  await until('a failed refresh of short.test. counted', async () => s2.replication.counters.failures.get('short.test.', 'failed') > 0, 10_000);
  t.ok(s2.replication.counters.failures.get('short.test.', 'failed') > 0);
});

t.test('the primary back: the expired zone is served again', async (t) => {
  primary = await startReplica({ yaml: PRIMARY_YAML, dir: primary.dir });
  await until('short.test. back', async () => (await ask(s2Port, 'www.short.test')).data[0] === '192.0.2.80', 5000);
  t.same((await ask(pPort, 'laptop.home.test')).data, ['192.168.1.50'], 'the primary kept the update in its journal');
});
