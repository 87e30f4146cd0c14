import t from 'tap';
import { Draft } from '../../src/update/draft.js';
import { checkPrerequisites } from '../../src/update/prereq.js';
import { RClass, RCode, RRType } from '../../src/wire/constants.js';
import { loadZoneText } from '../../src/zone/load.js';
import { anyOf, noneOf, rec, valueIs, type Rec } from '../fixtures/kea/update-client.js';

const zone = loadZoneText(`$ORIGIN z.test.
@ 300 SOA ns hostmaster 1 3600 600 86400 60
@ NS ns
ns A 192.0.2.1
host A 192.0.2.10
host A 192.0.2.11
host TXT "hello"
ptr PTR Target.Z.test.
a.b.c A 192.0.2.20
`, 'z.test.').zone;

const check = (prereqs: Rec[]): { rcode: number; reason: string; detail: string } | null =>
  checkPrerequisites(new Draft(zone), prereqs, RClass.IN);

t.test('the five kinds, each with its exact RCODE', async (t) => {
  t.equal(check([anyOf('host.z.test.')]), null, 'ANY ANY: name in use');
  t.equal(check([anyOf('nope.z.test.')])!.rcode, RCode.NXDomain);
  t.equal(check([anyOf('b.z.test.')])!.rcode, RCode.NXDomain, 'an empty non-terminal is not "in use"');
  t.equal(check([anyOf('host.z.test.', RRType.TXT)]), null, 'ANY TXT: RRset exists');
  t.equal(check([anyOf('host.z.test.', RRType.AAAA)])!.rcode, RCode.NXRRSet);
  t.equal(check([noneOf('nope.z.test.')]), null, 'NONE ANY: name not in use');
  t.equal(check([noneOf('host.z.test.')])!.rcode, RCode.YXDomain);
  t.equal(check([noneOf('host.z.test.', RRType.AAAA)]), null, 'NONE AAAA: RRset absent');
  t.equal(check([noneOf('host.z.test.', RRType.A)])!.rcode, RCode.YXRRSet);
  const f = check([noneOf('host.z.test.')])!;
  t.equal(f.reason, 'prereq-yxdomain');
  t.match(f.detail, /host\.z\.test\. is not in use/);
});

t.test('value-dependent: the whole RRset must match, as a set, ignoring TTL and name case', async (t) => {
  t.equal(check([valueIs('host.z.test. 0 IN A 192.0.2.11'), valueIs('host.z.test. 0 IN A 192.0.2.10')]), null, 'any order');
  t.equal(check([valueIs('host.z.test. 0 IN A 192.0.2.10'), valueIs('host.z.test. 0 IN A 192.0.2.10'), valueIs('host.z.test. 0 IN A 192.0.2.11')]), null, 'duplicates merge');
  t.equal(check([valueIs('host.z.test. 0 IN A 192.0.2.10')])!.rcode, RCode.NXRRSet, 'a subset is not equal');
  t.equal(check([valueIs('host.z.test. 0 IN A 192.0.2.10'), valueIs('host.z.test. 0 IN A 192.0.2.11'), valueIs('host.z.test. 0 IN A 192.0.2.12')])!.rcode, RCode.NXRRSet, 'a superset is not equal');
  t.equal(check([valueIs('ptr.z.test. 0 IN PTR target.z.test.')]), null, 'names inside RDATA compare case-insensitively');
  t.equal(check([valueIs('nope.z.test. 0 IN A 192.0.2.10')])!.rcode, RCode.NXRRSet, 'no RRset at all');
  t.equal(check([valueIs('HOST.Z.TEST. 0 IN TXT "hello"')]), null, 'owner case ignored');
});

t.test('form errors: TTL not 0, RDATA where none belongs, bad class; NOTZONE outside the zone', async (t) => {
  t.equal(check([{ ...anyOf('host.z.test.'), ttl: 5 }])!.rcode, RCode.FormErr);
  t.equal(check([rec('host.z.test. 60 IN A 192.0.2.10')])!.rcode, RCode.FormErr, 'value prerequisite with TTL 60');
  t.equal(check([{ ...anyOf('host.z.test.', RRType.A), rdata: Uint8Array.from([1, 2, 3, 4]) }])!.rcode, RCode.FormErr);
  t.equal(check([{ ...anyOf('host.z.test.'), class: RClass.CH }])!.rcode, RCode.FormErr);
  t.equal(check([{ ...valueIs('host.z.test. 0 IN A 192.0.2.10'), type: RRType.ANY }])!.rcode, RCode.FormErr, 'IN ANY with data');
  t.equal(check([anyOf('host.other.test.')])!.rcode, RCode.NotZone);
  t.equal(check([valueIs('x.other.test. 0 IN A 192.0.2.1')])!.rcode, RCode.NotZone);
});

t.test('checked in order: the first failing one decides', async (t) => {
  t.equal(check([anyOf('nope.z.test.'), noneOf('host.z.test.')])!.rcode, RCode.NXDomain);
  t.equal(check([noneOf('host.z.test.'), anyOf('nope.z.test.')])!.rcode, RCode.YXDomain);
  t.equal(check([valueIs('host.z.test. 0 IN A 192.0.2.99'), anyOf('nope.z.test.')])!.rcode, RCode.NXDomain, 'value checks come after the others');
});
