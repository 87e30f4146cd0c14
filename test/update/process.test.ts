import t from 'tap';
import type { Prefix, UpdatePolicy } from '../../src/config/types.js';
import { parsePrefix } from '../../src/config/net.js';
import { UpdateGuard } from '../../src/update/policy.js';
import { processUpdate } from '../../src/update/process.js';
import { RClass, RCode, RRType } from '../../src/wire/constants.js';
import { rdataToText } from '../../src/wire/rdata/index.js';
import { loadZoneText } from '../../src/zone/load.js';
import type { Zone } from '../../src/zone/zone.js';
import { anyOf, deleteRR, noneOf, rec, valueIs, type Rec } from '../fixtures/kea/update-client.js';

const prefix = (s: string): Prefix => parsePrefix(s) as Prefix;
const ALL = [RRType.A, RRType.AAAA, RRType.TXT, RRType.MX, RRType.SRV, RRType.CNAME, RRType.NS, RRType.SOA, RRType.PTR, RRType.DHCID, RRType.ANY];

function policy(p: Partial<UpdatePolicy> = {}): UpdatePolicy {
  return {
    preset: 'none', keys: ['k.'], tokens: [], networks: [prefix('127.0.0.0/8')], protectStatic: false,
    rules: [{ keys: ['k.'], networks: [prefix('127.0.0.0/8')], name: { kind: 'subtree', name: 'z.test.' }, types: ALL, anyType: false, origin: 'config', tokens: [] }],
    scavenge: { enabled: false, grace: 86400 }, ...p,
  };
}

const staticZone = loadZoneText(`$ORIGIN z.test.
@ 300 SOA ns hostmaster 100 3600 600 86400 60
@ NS ns
@ NS ns2
ns A 192.0.2.1
ns2 A 192.0.2.2
host A 192.0.2.10
alias CNAME host
`, 'z.test.').zone;

function run(zone: Zone, updates: Rec[], o: { prereqs?: Rec[]; pol?: UpdatePolicy; key?: string | null; address?: string } = {}) {
  const msg = { id: 1, zone: { name: 'z.test.', type: RRType.SOA, class: RClass.IN }, prereqs: o.prereqs ?? [], updates };
  return processUpdate(zone, staticZone, new UpdateGuard(o.pol ?? policy()), { msg, key: o.key === undefined ? 'k.' : o.key, address: o.address ?? '127.0.0.1' });
}
const texts = (z: Zone, name: string, type: number): string[] => (z.rrset(name, type)?.rrs ?? []).map((r) => `${r.ttl} ${rdataToText(type, r.rdata)}`).sort();

t.test('add: duplicates merge, the RRset takes the newest TTL, serial +1 per changing update', async (t) => {
  let r = run(staticZone, [rec('pc.z.test. 300 IN A 192.0.2.50'), rec('pc.z.test. 300 IN A 192.0.2.50'), rec('pc.z.test. 600 IN A 192.0.2.51')]);
  t.equal(r.failure, null);
  t.same(texts(r.zone, 'pc.z.test.', RRType.A), ['600 192.0.2.50', '600 192.0.2.51']);
  t.equal(r.zone.serial, 101);
  t.equal(staticZone.serial, 100, 'the old version is untouched');
  r = run(r.zone, [rec('pc.z.test. 600 IN A 192.0.2.50')]);
  t.equal(r.changes.length, 0, 'adding what is there changes nothing');
  t.equal(r.zone.serial, 101, 'so the serial stays');
  for (const line of ['txt.z.test. 60 IN TXT "a b" "c"', 'z.test. 60 IN MX 10 mail.z.test.', '_sip._udp.z.test. 60 IN SRV 0 5 5060 host.z.test.', 'v6.z.test. 60 IN AAAA 2001:db8::1']) {
    const x = run(staticZone, [rec(line)]);
    const rr = rec(line);
    t.same(texts(x.zone, rr.name, rr.type), [`60 ${rdataToText(rr.type, rr.rdata)}`], line);
  }
});

t.test('CNAME and other data never coexist (RFC 2136 §3.4.2.2)', async (t) => {
  let r = run(staticZone, [rec('host.z.test. 60 IN CNAME other.z.test.')]);
  t.equal(r.changes.length, 0, 'CNAME ignored where an A exists');
  r = run(staticZone, [rec('alias.z.test. 60 IN A 192.0.2.9')]);
  t.equal(r.changes.length, 0, 'A ignored where a CNAME exists');
  r = run(staticZone, [rec('alias.z.test. 60 IN CNAME ns.z.test.')]);
  t.same(texts(r.zone, 'alias.z.test.', RRType.CNAME), ['60 ns.z.test.'], 'a CNAME replaces the CNAME');
  r = run(staticZone, [rec('new.z.test. 60 IN A 192.0.2.9'), rec('new.z.test. 60 IN CNAME host.z.test.')]);
  t.same(texts(r.zone, 'new.z.test.', RRType.A), ['60 192.0.2.9']);
  t.same(texts(r.zone, 'new.z.test.', RRType.CNAME), [], 'within one update too, in order');
});

t.test('apex SOA and NS are protected as RFC 2136 §3.4.2.3/4 says', async (t) => {
  let r = run(staticZone, [anyOf('z.test.')]);
  t.equal(r.changes.length, 0, 'delete all at the apex keeps SOA and NS');
  r = run(staticZone, [anyOf('z.test.', RRType.NS), anyOf('z.test.', RRType.SOA)]);
  t.equal(r.changes.length, 0, 'the apex NS and SOA RRsets cannot be deleted');
  r = run(staticZone, [deleteRR('z.test. 0 IN NS ns.z.test.')]);
  t.same(texts(r.zone, 'z.test.', RRType.NS), ['300 ns2.z.test.'], 'one NS of two can go');
  r = run(r.zone, [deleteRR('z.test. 0 IN NS ns2.z.test.')]);
  t.same(texts(r.zone, 'z.test.', RRType.NS), ['300 ns2.z.test.'], 'the last NS stays');
  r = run(staticZone, [{ ...rec('z.test. 0 IN SOA ns.z.test. hostmaster.z.test. 100 3600 600 86400 60'), class: RClass.NONE }]);
  t.equal(r.changes.length, 0, 'the SOA is never deleted');
  r = run(staticZone, [rec('z.test. 300 IN SOA ns.z.test. hostmaster.z.test. 99 3600 600 86400 60')]);
  t.equal(r.zone.serial, 100, 'an SOA with a lower serial is ignored');
  r = run(staticZone, [rec('z.test. 300 IN SOA ns.z.test. hostmaster.z.test. 5000 7200 600 86400 60')]);
  t.equal(r.zone.serial, 5000, 'an SOA with a greater serial replaces it, and is not bumped again');
  t.same(texts(r.zone, 'z.test.', RRType.SOA), ['300 ns.z.test. hostmaster.z.test. 5000 7200 600 86400 60']);
  r = run(staticZone, [rec('host.z.test. 300 IN SOA ns.z.test. hostmaster.z.test. 5000 7200 600 86400 60')]);
  t.equal(r.changes.length, 0, 'an SOA below the apex is ignored');
});

t.test('the three deletes', async (t) => {
  const base = run(staticZone, [rec('pc.z.test. 60 IN A 192.0.2.50'), rec('pc.z.test. 60 IN A 192.0.2.51'), rec('pc.z.test. 60 IN TXT "x"')]).zone;
  let r = run(base, [anyOf('pc.z.test.', RRType.A)]);
  t.same(texts(r.zone, 'pc.z.test.', RRType.A), [], 'delete an RRset');
  t.same(texts(r.zone, 'pc.z.test.', RRType.TXT), ['60 "x"']);
  r = run(base, [anyOf('pc.z.test.')]);
  t.notOk(r.zone.exists('pc.z.test.'), 'delete all RRsets at a name: the name is gone');
  r = run(base, [deleteRR('pc.z.test. 0 IN A 192.0.2.50')]);
  t.same(texts(r.zone, 'pc.z.test.', RRType.A), ['60 192.0.2.51'], 'delete one RR');
  r = run(r.zone, [deleteRR('pc.z.test. 0 IN A 192.0.2.51'), deleteRR('pc.z.test. 0 IN TXT "x"')]);
  t.notOk(r.zone.exists('pc.z.test.'), 'the last RR takes the name with it');
  r = run(base, [deleteRR('pc.z.test. 0 IN A 192.0.2.99'), anyOf('nothing.z.test.')]);
  t.equal(r.changes.length, 0, 'deleting what is not there is not an error and changes nothing');
  t.equal(r.zone.serial, base.serial);
});

t.test('all or nothing: a failure anywhere leaves the zone as it was', async (t) => {
  let r = run(staticZone, [rec('pc.z.test. 60 IN A 192.0.2.50')], { prereqs: [anyOf('missing.z.test.')] });
  t.equal(r.failure!.rcode, RCode.NXDomain);
  t.equal(r.zone, staticZone);
  r = run(staticZone, [rec('pc.z.test. 60 IN A 192.0.2.50'), rec('pc.other.test. 60 IN A 192.0.2.50')]);
  t.equal(r.failure!.rcode, RCode.NotZone, 'the second record is outside the zone');
  t.equal(r.zone, staticZone, 'so the first is not applied either');
  r = run(staticZone, [rec('pc.z.test. 60 IN A 192.0.2.50'), { ...anyOf('pc.z.test.', RRType.A), ttl: 3 }]);
  t.equal(r.failure!.rcode, RCode.FormErr);
  r = run(staticZone, [noneOf('pc.z.test.')]);
  t.equal(r.failure!.rcode, RCode.FormErr, 'NONE ANY is not an update');
  r = run(staticZone, [{ ...rec('pc.z.test. 60 IN A 192.0.2.50'), class: RClass.CH }]);
  t.equal(r.failure!.rcode, RCode.FormErr);
  r = run(staticZone, [{ ...rec('pc.z.test. 60 IN A 192.0.2.50'), type: RRType.AXFR }]);
  t.equal(r.failure!.rcode, RCode.FormErr, 'meta types cannot be added');
});

t.test('permissions: key AND network AND a rule per change; default deny', async (t) => {
  const add = [rec('pc.z.test. 60 IN A 192.0.2.50')];
  t.equal(run(staticZone, add, { key: null }).failure!.reason, 'unsigned');
  t.equal(run(staticZone, add, { key: 'other.' }).failure!.reason, 'key');
  t.equal(run(staticZone, add, { address: '10.0.0.1' }).failure!.reason, 'network');
  t.equal(run(staticZone, add, { address: '::ffff:127.0.0.1' }).failure, null, 'IPv4-mapped IPv6 source');
  const narrow = policy({ rules: [{ keys: ['k.'], networks: [prefix('127.0.0.1/32')], name: { kind: 'subtree', name: 'dhcp.z.test.' }, types: [RRType.A], anyType: false, origin: 'config', tokens: [] }] });
  t.equal(run(staticZone, [rec('x.dhcp.z.test. 60 IN A 192.0.2.5')], { pol: narrow }).failure, null);
  const f = run(staticZone, [rec('x.dhcp.z.test. 60 IN TXT "no"')], { pol: narrow }).failure!;
  t.equal(f.reason, 'rule', 'type not listed');
  t.match(f.detail, /add TXT at x\.dhcp\.z\.test\./);
  t.equal(run(staticZone, add, { pol: narrow }).failure!.reason, 'rule', 'name outside the subtree');
  t.equal(run(staticZone, [rec('x.dhcp.z.test. 60 IN A 192.0.2.5')], { pol: narrow, address: '127.0.0.2' }).failure!.reason, 'rule', "outside the rule's networks");
  t.equal(run(staticZone, [anyOf('x.dhcp.z.test.')], { pol: narrow }).failure!.reason, 'rule', 'delete-all needs ANY in the rule');
  const exact = policy({ rules: [{ keys: ['k.'], networks: [prefix('127.0.0.0/8')], name: { kind: 'exact', name: 'one.z.test.' }, types: [RRType.TXT], anyType: false, origin: 'config', tokens: [] }] });
  t.equal(run(staticZone, [rec('one.z.test. 60 IN TXT "ok"')], { pol: exact }).failure, null);
  t.equal(run(staticZone, [rec('sub.one.z.test. 60 IN TXT "no"')], { pol: exact }).failure!.reason, 'rule', 'exact means exact');
  const p = run(staticZone, add, { key: null, prereqs: [anyOf('missing.z.test.')] }).failure!;
  t.equal(p.rcode, RCode.NXDomain, 'prerequisites are checked before permissions (RFC 2136 §3.2 then §3.3)');
});

t.test('protectStatic: names from the zone file cannot be changed or deleted', async (t) => {
  const pol = policy({ protectStatic: true });
  for (const u of [rec('host.z.test. 60 IN A 192.0.2.77'), anyOf('host.z.test.'), anyOf('host.z.test.', RRType.A), deleteRR('host.z.test. 0 IN A 192.0.2.10'), rec('z.test. 60 IN TXT "apex"')]) {
    const f = run(staticZone, [u], { pol }).failure!;
    t.equal(f.reason, 'static', `${u.name} class ${u.class} type ${u.type}`);
    t.equal(f.rcode, RCode.Refused);
  }
  t.equal(run(staticZone, [rec('new.z.test. 60 IN A 192.0.2.77')], { pol }).failure, null, 'new names are fine');
  t.equal(run(staticZone, [rec('host.z.test. 60 IN A 192.0.2.77')]).failure, null, 'relaxed per zone');
  const prereqOnly = run(staticZone, [rec('new.z.test. 60 IN A 192.0.2.77')], { pol, prereqs: [valueIs('host.z.test. 0 IN A 192.0.2.10')] });
  t.equal(prereqOnly.failure, null, 'prerequisites may name static data');
});
