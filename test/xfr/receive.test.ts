import t from 'tap';
import dnsPacket from 'dns-packet';
import { RClass, RRType } from '../../src/wire/constants.js';
import { decodeMessage } from '../../src/wire/message.js';
import { rrToText } from '../../src/wire/presentation.js';
import { rdataFromText } from '../../src/wire/rdata/index.js';
import type { RR } from '../../src/wire/types.js';
import { dumpZone } from '../../src/zone/dump.js';
import { loadZoneText } from '../../src/zone/load.js';
import type { Zone } from '../../src/zone/zone.js';
import { applyDiffs, zoneFromRecords } from '../../src/xfr/apply.js';
import { zoneDiff } from '../../src/xfr/diff.js';
import { XfrHistory } from '../../src/xfr/history.js';
import { packMessages } from '../../src/xfr/pack.js';
import { XfrReceiver } from '../../src/xfr/receive.js';
import { axfrRecords, ixfrRecords } from '../../src/xfr/records.js';

const lines = ['$ORIGIN example.', '$TTL 300', '@ SOA ns hostmaster 1 3600 600 86400 60', '@ NS ns', 'ns A 192.0.2.1'];
for (let i = 0; i < 200; i++) lines.push(`host${i} A 192.0.2.${i % 250}`, `host${i} TXT "some text to make the zone need several messages ${i}"`);
const base = (): Zone => loadZoneText(lines.join('\n') + '\n', 'example.').zone;

const a = (addr: string): Uint8Array => rdataFromText(RRType.A, [{ text: addr, quoted: false, line: 1, col: 1 }], 'example.');

function bump(z: Zone, serial: number, changes: Parameters<Zone['withChanges']>[0]): Zone {
  const soa = new Uint8Array(z.soa.rrs[0]!.rdata);
  new DataView(soa.buffer).setUint32(soa.length - 20, serial);
  return z.withChanges([...changes, { name: z.origin, type: RRType.SOA, ttl: z.soa.ttl, rdata: [soa] }]);
}

const question = (type: number) => ({ name: 'example.', type, class: RClass.IN });
const dump = (z: Zone): string => dumpZone(z, rrToText);

/** Packs, then reads every message back the way a secondary does. */
function wire(records: Iterable<RR>, type: number, targetSize = 1024): Buffer[] {
  return [...packMessages(records, { id: 77, question: question(type), edns: { udpSize: 1232 }, targetSize })];
}

function receive(messages: Buffer[], serial: number | null): XfrReceiver {
  const r = new XfrReceiver('example.', RClass.IN, serial);
  messages.forEach((m, i) => {
    const done = r.feed(decodeMessage(m).answer);
    if (i < messages.length - 1 && done) throw new Error('done early');
  });
  return r;
}

t.test('AXFR: the zone goes out in many messages and comes back identical', async (t) => {
  const z = base();
  const msgs = wire(axfrRecords(z), RRType.AXFR);
  t.ok(msgs.length > 10, `${msgs.length} messages`);
  t.ok(msgs.every((m) => m.length <= 1024 + 200), 'messages stay near the target size');
  const decoded = msgs.map((m) => dnsPacket.decode(m));
  t.equal(decoded[0]!.questions!.length, 1, 'the first message echoes the question');
  t.ok(decoded.slice(1).every((d) => d.questions!.length === 0), 'later messages leave it out');
  t.ok(decoded.every((d) => d.id === 77 && d.flag_aa && d.type === 'response' && d.additionals!.some((x) => x.type === 'OPT')));
  const r = receive(msgs, null);
  t.ok(r.done);
  const got = r.result!;
  t.equal(got.kind, 'axfr');
  if (got.kind !== 'axfr') return;
  t.equal(got.records.length, z.records().length);
  t.equal(dump(zoneFromRecords('example.', RClass.IN, got.records).zone), dump(z));
});

t.test('IXFR: two differences travel and apply to the old version', async (t) => {
  const z1 = base();
  const h = new XfrHistory();
  h.reset(z1);
  const z2 = bump(z1, 2, [
    { name: 'host1.example.', type: RRType.A, ttl: 300, rdata: [a('192.0.2.201')] },
    { name: 'host2.example.', type: RRType.TXT, ttl: 0, rdata: [] },
  ]);
  h.push(z2, zoneDiff(z1, z2));
  const z3 = bump(z2, 3, [{ name: 'new.example.', type: RRType.A, ttl: 60, rdata: [a('192.0.2.202')] }]);
  h.push(z3, zoneDiff(z2, z3));
  const msgs = wire(ixfrRecords(z3, h.since(1, z3)!), RRType.IXFR, 200);
  t.ok(msgs.length >= 2, 'the differences span messages');
  const got = receive(msgs, 1).result!;
  t.equal(got.kind, 'ixfr');
  if (got.kind !== 'ixfr') return;
  t.same(got.diffs.map((d) => [d.deleted.length, d.added.length]), [[2, 1], [0, 1]]);
  const versions = applyDiffs(z1, got.diffs);
  t.same(versions.map((v) => v.serial), [2, 3]);
  t.equal(dump(versions[1]!), dump(z3), 'the secondary ends with the primary\'s data');
  t.equal(receive(wire(ixfrRecords(z3, h.since(2, z3)!), RRType.IXFR), 2).result!.kind, 'ixfr');
  t.throws(() => applyDiffs(z2, got.diffs), /starts at serial 1, we have 2/);
});

t.test('IXFR answered with the whole zone, or with the SOA alone', async (t) => {
  const z1 = base();
  const z2 = bump(z1, 2, []);
  const full = receive(wire(axfrRecords(z2), RRType.IXFR), 1).result!;
  t.equal(full.kind, 'axfr', 'a second record that is not an SOA means a full zone');
  const up = receive(wire([z2.soa.rrs[0]!], RRType.IXFR), 2).result!;
  t.equal(up.kind, 'uptodate');
  const older = receive(wire([z1.soa.rrs[0]!], RRType.IXFR), 2).result!;
  t.equal(older.kind, 'uptodate', 'a primary behind us is not followed backwards');
  const lone = new XfrReceiver('example.', RClass.IN, 1);
  t.notOk(lone.feed([z2.soa.rrs[0]!]), 'a lone newer SOA is not the end: more must come');
  const soaOnly = new XfrReceiver('example.', RClass.IN, null);
  t.ok(soaOnly.feed([z1.soa.rrs[0]!, z1.soa.rrs[0]!]), 'AXFR of a zone holding only its SOA');
});

t.test('a stream that breaks off is never complete', async (t) => {
  const msgs = wire(axfrRecords(base()), RRType.AXFR);
  const r = receive(msgs.slice(0, msgs.length - 1), null);
  t.notOk(r.done);
  t.equal(r.result, null);
});

t.test('protocol violations are refused', async (t) => {
  const z = base();
  const soa = z.soa.rrs[0]!;
  const www: RR = { name: 'www.example.', type: RRType.A, class: RClass.IN, ttl: 1, rdata: a('192.0.2.1') };
  const out: RR = { ...www, name: 'www.example.org.' };
  const z2soa = bump(z, 2, []).soa.rrs[0]!;
  const cases: [string, RR[], number | null, RegExp][] = [
    ['no SOA first', [www], null, /does not start with the zone's SOA/],
    ['record outside the zone', [soa, out], null, /outside the zone/],
    ['other class', [soa, { ...www, class: RClass.CH }], null, /another class/],
    ['closing SOA differs', [soa, www, z2soa], null, /closing SOA differs/],
    ['SOA below the apex', [soa, { ...soa, name: 'sub.example.' }], null, /below the apex/],
    ['difference from the wrong serial', [z2soa, { ...z2soa, rdata: bump(z, 7, []).soa.rrs[0]!.rdata }, z2soa, z2soa], 1, /starts at serial 7, expected 1/],
    ['records after the end', [soa, www, soa, www], null, /after the end/],
  ];
  for (const [what, rrs, serial, re] of cases) {
    t.throws(() => new XfrReceiver('example.', RClass.IN, serial).feed(rrs), re, what);
  }
});

t.test('a transferred zone with a CNAME beside other data is refused', async (t) => {
  const z = loadZoneText('$ORIGIN example.\n$TTL 60\n@ SOA ns h 1 1 1 1 1\n@ NS ns\nns A 192.0.2.1\n', 'example.').zone;
  const records = [...axfrRecords(z)].slice(0, -1);
  const cname = rdataFromText(RRType.CNAME, [{ text: 'ns', quoted: false, line: 1, col: 1 }], 'example.');
  records.push({ name: 'ns.example.', type: RRType.CNAME, class: RClass.IN, ttl: 60, rdata: cname });
  t.throws(() => zoneFromRecords('example.', RClass.IN, records), /not servable: .*CNAME/);
});
