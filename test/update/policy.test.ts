import t from 'tap';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/index.js';
import { UpdateGuard } from '../../src/update/policy.js';
import { RClass, RRType } from '../../src/wire/constants.js';
import { anyOf, rec, type Rec } from '../fixtures/kea/update-client.js';

const TMP = mkdtempSync(join(tmpdir(), 'horizond-update-test-'));
t.teardown(() => rmSync(TMP, { recursive: true, force: true }));

const dir = mkdtempSync(join(TMP, 'horizond-policy-'));
const soa = (o: string): string => `$ORIGIN ${o}\n@ SOA ns.home.lan. h.home.lan. 1 3600 600 86400 60\n@ NS ns.home.lan.\n`;
writeFileSync(join(dir, 'fwd.zone'), soa('home.lan.'));
writeFileSync(join(dir, 'rev.zone'), soa('1.168.192.in-addr.arpa.'));
writeFileSync(join(dir, 'rev6.zone'), soa('1.0.0.0.0.0.d.f.ip6.arpa.'));
const config = parseConfig(`
networks: { dhcp: [192.168.1.5, "fd00::5"] }
keys: [ { name: kea-ddns., secret: "aGVsbG8gd29ybGQ=" }, { name: admin., secret: "aGVsbG8gd29ybGQ=" } ]
zones:
  - { name: home.lan., file: fwd.zone, update: { preset: kea, keys: [kea-ddns.], networks: [dhcp] } }
  - { name: 1.168.192.in-addr.arpa., file: rev.zone, update: { preset: kea, keys: [kea-ddns.], networks: [dhcp] } }
  - { name: 1.0.0.0.0.0.d.f.ip6.arpa., file: rev6.zone, update: { preset: kea, keys: [kea-ddns.], networks: [dhcp] } }
`, join(dir, 'h.yaml'), dir);
const [fwd, rev, rev6] = config.zones.map((z) => new UpdateGuard(z.update!));

const ok = (g: UpdateGuard, r: Rec, address = '192.168.1.5'): boolean => g.admit('kea-ddns.', address) === null && g.permit('kea-ddns.', address, r, RClass.IN) === null;

t.test('kea preset, forward zone: A, AAAA, DHCID and whole-name deletes, nothing else', async (t) => {
  t.ok(ok(fwd!, rec('pc.home.lan. 1200 IN A 192.168.1.50')));
  t.ok(ok(fwd!, rec('pc.home.lan. 1200 IN AAAA fd00::50')));
  t.ok(ok(fwd!, rec('pc.home.lan. 1200 IN DHCID AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=')));
  t.ok(ok(fwd!, anyOf('pc.home.lan.')), 'ANY ANY');
  t.ok(ok(fwd!, anyOf('pc.home.lan.', RRType.A)), 'ANY A');
  t.notOk(ok(fwd!, rec('pc.home.lan. 1200 IN TXT "x"')));
  t.notOk(ok(fwd!, rec('pc.home.lan. 1200 IN CNAME nas.home.lan.')));
  t.notOk(ok(fwd!, rec('pc.home.lan. 1200 IN PTR nas.home.lan.')));
  t.ok(fwd!.protectStatic, 'static names protected by default');
});

t.test('kea preset, reverse zones: PTR, DHCID and whole-name deletes', async (t) => {
  for (const [g, name] of [[rev!, '50.1.168.192.in-addr.arpa.'], [rev6!, '5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.0.d.f.ip6.arpa.']] as const) {
    t.ok(ok(g, rec(`${name} 1200 IN PTR pc.home.lan.`)), name);
    t.ok(ok(g, rec(`${name} 1200 IN DHCID AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=`)));
    t.ok(ok(g, anyOf(name)));
    t.notOk(ok(g, rec(`${name} 1200 IN A 192.168.1.1`)));
  }
});

t.test('key AND network are both required', async (t) => {
  t.equal(fwd!.admit('kea-ddns.', '192.168.1.5'), null);
  t.equal(fwd!.admit('kea-ddns.', 'fd00::5'), null);
  t.equal(fwd!.admit('admin.', '192.168.1.5')!.reason, 'key', 'a known key the zone does not list');
  t.equal(fwd!.admit(null, '192.168.1.5')!.reason, 'unsigned');
  t.equal(fwd!.admit('kea-ddns.', '192.168.1.6')!.reason, 'network');
  t.equal(fwd!.admit('kea-ddns.', '127.0.0.1')!.reason, 'network');
});

t.test('types: ["*"] permits every data type and whole-name deletes; ANY alone only whole-name deletes', async (t) => {
  const d = mkdtempSync(join(TMP, 'horizond-policy-any-'));
  writeFileSync(join(d, 'a.zone'), soa('a.test.'));
  writeFileSync(join(d, 'b.zone'), soa('b.test.'));
  const c = parseConfig(`
keys: [ { name: admin., secret: "aGVsbG8gd29ybGQ=" } ]
zones:
  - { name: a.test., file: a.zone, update: { keys: [admin.], networks: [127.0.0.1], rules: [ { name: { zone: true }, types: ["*"] } ] } }
  - { name: b.test., file: b.zone, update: { keys: [admin.], networks: [127.0.0.1], rules: [ { name: { zone: true }, types: [ANY] } ] } }
`, join(d, 'h.yaml'), d);
  const [all, delAll] = c.zones.map((z) => new UpdateGuard(z.update!));
  t.equal(c.zones[0]!.update!.rules[0]!.anyType, true);
  t.same(c.zones[0]!.update!.rules[0]!.types, []);
  const may = (g: UpdateGuard, r: Rec): boolean => g.permit('admin.', '127.0.0.1', r, RClass.IN) === null;
  for (const line of ['x.a.test. 60 IN A 192.0.2.1', 'x.a.test. 60 IN TXT "t"', 'x.a.test. 60 IN CNAME y.a.test.', 'x.a.test. 60 IN TYPE65400 \\# 1 00', 'a.test. 60 IN NS ns.a.test.']) {
    t.ok(may(all!, rec(line)), `* permits ${line}`);
  }
  t.ok(may(all!, anyOf('x.a.test.')), '* permits delete-all');
  t.ok(may(all!, anyOf('x.a.test.', RRType.MX)), '* permits an RRset delete');
  t.ok(may(delAll!, anyOf('x.b.test.')), 'ANY permits delete-all');
  t.notOk(may(delAll!, rec('x.b.test. 60 IN A 192.0.2.1')), 'ANY does not permit adding an A');
  t.notOk(may(delAll!, anyOf('x.b.test.', RRType.A)), 'ANY does not permit deleting the A RRset');
});

t.test('"*" must stand alone in types', async (t) => {
  const d = mkdtempSync(join(TMP, 'horizond-policy-mixed-'));
  writeFileSync(join(d, 'a.zone'), soa('a.test.'));
  t.throws(() => parseConfig(`
keys: [ { name: admin., secret: "aGVsbG8gd29ybGQ=" } ]
zones:
  - { name: a.test., file: a.zone, update: { keys: [admin.], networks: [127.0.0.1], rules: [ { name: { zone: true }, types: ["*", A] } ] } }
`, join(d, 'h.yaml'), d), /h\.yaml:4:\d+: zones\[0\]\.update\.rules\[0\]\.types: "\*" already covers every type: list it alone/);
});
