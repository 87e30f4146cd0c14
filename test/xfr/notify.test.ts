import t, { type Test } from 'tap';
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import { createLogger } from '../../src/observability/log.js';
import { Keyring } from '../../src/tsig/keyring.js';
import { verifyRequest } from '../../src/tsig/verify.js';
import { signReply } from '../../src/tsig/reply.js';
import { loadZoneText } from '../../src/zone/load.js';
import { XfrCounters } from '../../src/xfr/metrics.js';
import { NotifySender } from '../../src/xfr/notify.js';

const ring = new Keyring([{ name: 'xfr.', algorithm: 'hmac-sha256', secret: 'bm90aWZ5IHRlc3Qga2V5' }]);
const zone = (serial: number) => loadZoneText(`$ORIGIN n.test.\n$TTL 60\n@ SOA ns h ${serial} 1 1 1 1\n@ NS ns\nns A 192.0.2.1\n`, 'n.test.').zone;

/** A UDP peer that drops the first `drop` NOTIFYs, then answers with `rcode` (signed when the NOTIFY was). */
async function peer(t: Test, drop: number, rcode = 0) {
  const sock = dgram.createSocket('udp4');
  const seen: { serial: number; signed: string }[] = [];
  sock.on('message', (m, r) => {
    const q = dnsPacket.decode(m);
    const v = verifyRequest(m, ring, Date.now() / 1000);
    const soa = q.answers![0]!;
    seen.push({ serial: soa.type === 'SOA' ? soa.data.serial ?? -1 : -1, signed: v.status });
    if (seen.length <= drop) return;
    const flags = 0x8000 | (4 << 11) | 0x0400 | rcode;
    let out = Buffer.from(m.subarray(0, v.status === 'ok' ? v.tsigOffset : m.length));
    out.writeUInt16BE(flags, 2);
    out.writeUInt16BE(0, 6);
    out.writeUInt16BE(0, 10);
    out = Buffer.from(out.subarray(0, 12 + q.questions![0]!.name.length + 2 + 4)); // header + question (ASCII name)
    sock.send(v.status === 'ok' ? signReply(out, v, Date.now() / 1000) : out, r.port, r.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  t.teardown(() => sock.close());
  return { port: (sock.address() as { port: number }).port, seen };
}

function sender(counters: XfrCounters) {
  return new NotifySender({
    keyring: ring, log: createLogger('silent'), counters, resolve: async () => ['127.0.0.1'],
    now: () => Date.now() / 1000, timing: { firstTimeoutMs: 60, attempts: 4 },
  });
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('an unanswered NOTIFY is retried until it is acknowledged, signed each time', async (t) => {
  const p = await peer(t, 2);
  const c = new XfrCounters();
  const s = sender(c);
  s.notify(zone(5), [{ address: '127.0.0.1', port: p.port, key: 'xfr.' }]);
  await settle(600);
  t.same(p.seen, [{ serial: 5, signed: 'ok' }, { serial: 5, signed: 'ok' }, { serial: 5, signed: 'ok' }]);
  t.equal(c.notifyOut.get('n.test.', 'ok'), 1);
  t.equal(c.notifyOut.get('n.test.', 'failed'), 0);
  await s.close();
});

t.test('an answer other than NOERROR ends the retries; silence ends them after the last attempt', async (t) => {
  const refusing = await peer(t, 0, 5);
  const silent = await peer(t, 99);
  const c = new XfrCounters();
  const s = sender(c);
  s.notify(zone(5), [{ address: '127.0.0.1', port: refusing.port, key: null }, { address: 'secondary.example', port: silent.port, key: null }]);
  await settle(1200);
  t.equal(refusing.seen.length, 1, 'REFUSED: not asked again');
  t.equal(silent.seen.length, 4, 'four attempts (60, 120, 240, 480 ms)');
  t.equal(silent.seen[0]!.signed, 'unsigned');
  t.equal(c.notifyOut.get('n.test.', 'failed'), 2);
  await s.close();
});

t.test('a newer version replaces a NOTIFY still being retried; close() stops everything', async (t) => {
  const p = await peer(t, 99);
  const c = new XfrCounters();
  const s = sender(c);
  const target = [{ address: '127.0.0.1', port: p.port, key: null }];
  s.notify(zone(5), target);
  await settle(20);
  s.notify(zone(6), target);
  await settle(100);
  const before = p.seen.length;
  t.same(p.seen.map((x) => x.serial), [5, 6, 6].slice(0, before), 'serial 5 is not retried once 6 exists');
  const start = Date.now();
  await s.close();
  t.ok(Date.now() - start < 100, 'close() does not wait out the retry timers');
  await settle(300);
  t.equal(p.seen.length, before, 'nothing sent after close()');
});
