import t from 'tap';
import { RRType } from '../../src/wire/constants.js';
import { rrToText } from '../../src/wire/presentation.js';
import type { RR } from '../../src/wire/types.js';
import { buildZone } from '../../src/zone/build.js';
import type { ZoneIssue } from '../../src/zone/errors.js';
import { parseZone } from '../../src/zone/parser.js';
import type { Zone } from '../../src/zone/zone.js';

const BASE = `$TTL 3600
@ IN SOA ns1 hostmaster 7 3600 900 604800 300
  NS ns1
ns1 A 192.0.2.1
a.b.c A 192.0.2.2
*.w TXT "wild"
sub NS ns.sub
ns.sub A 192.0.2.3
`;

function rrs(text: string): RR[] {
  return parseZone(text, { origin: 'example.', file: 't.zone' }).rrs;
}

function dump(z: Zone): string[] {
  return z.records().map((rr) => rrToText(rr).replace(/\t/g, ' ')).sort();
}

function rdataOf(text: string): Uint8Array {
  return rrs(`x 1 ${text}\n`)[0]!.rdata;
}

t.test('buildZone: nodes, empty non-terminals, cuts, wildcards, negative SOA', async (t) => {
  const z = buildZone('example.', rrs(BASE));
  t.equal(z.origin, 'example.');
  t.equal(z.serial, 7);
  t.equal(z.version, 1);
  t.equal(z.soa.rrs.length, 1);
  t.equal(z.ns!.rrs.length, 1);
  t.equal(z.negativeSoa.ttl, 300, 'min(SOA TTL 3600, MINIMUM 300)');
  t.equal(z.negativeSoa.type, RRType.SOA);
  t.ok(z.exists('A.B.C.example.'), 'data name, any case');
  t.ok(z.exists('b.c.example.'), 'empty non-terminal');
  t.ok(z.exists('c.example.'), 'empty non-terminal');
  t.equal(z.node('b.c.example.')!.rrsets.size, 0);
  t.equal(z.node('c.example.')!.below, 1);
  t.notOk(z.exists('d.example.'));
  t.same(z.zoneCuts, ['sub.example.']);
  t.same(z.wildcards, ['*.w.example.']);
  t.ok(z.exists('w.example.'), 'the parent of a wildcard exists');
  t.equal(z.rrset('ns1.example.', RRType.A)!.rrs[0]!.ttl, 3600);
});

t.test('buildZone merges duplicates (names in RDATA compared case-insensitively)', async (t) => {
  const warnings: ZoneIssue[] = [];
  const z = buildZone('example.', rrs(`$TTL 60\n@ SOA ns1 h 1 2 3 4 5\n  NS ns1\n  NS NS1.example.\nns1 A 192.0.2.1\nns1 A 192.0.2.1\n`), { warnings });
  t.equal(z.ns!.rrs.length, 1);
  t.equal(z.rrset('ns1.example.', RRType.A)!.rrs.length, 1);
  t.same(warnings.map((w) => w.message), ['example. NS: duplicate record ignored', 'ns1.example. A: duplicate record ignored']);
});

t.test('buildZone makes RRset TTLs consistent as BIND does, with warnings', async (t) => {
  const warnings: ZoneIssue[] = [];
  const list = rrs(`$TTL 60\n@ SOA ns1 h 1 2 3 4 5\n  NS ns1\nns1 A 192.0.2.1\nx 100 A 192.0.2.10\nx 200 TXT "t"\nx 300 A 192.0.2.11\ny 1 A 192.0.2.12\nx 400 A 192.0.2.13\nX 500 A 192.0.2.14\n`);
  const z = buildZone('example.', list, { warnings, positions: list.map((_, i) => ({ file: 't.zone', line: i + 1, col: 1 })) });
  t.equal(z.rrset('x.example.', RRType.A)!.ttl, 500, 'the last group wins (a new spelling starts a group)');
  t.same(z.rrset('x.example.', RRType.A)!.rrs.map((r) => r.ttl), [500, 500, 500, 500]);
  t.equal(z.rrset('x.example.', RRType.TXT)!.ttl, 200);
  t.same(warnings.map((w) => `${w.pos!.line}: ${w.message}`), [
    "6: x.example. A: TTL 300 differs from the RRset's 100; using 100 (first of the group, as BIND does)",
    "8: x.example. A: TTL 400 replaces the RRset's 100 (TTLs of an RRset must match, RFC 2181 §5.2; the later group wins, as BIND does)",
    "9: X.example. A: TTL 500 replaces the RRset's 400 (TTLs of an RRset must match, RFC 2181 §5.2; the later group wins, as BIND does)",
  ]);
});

t.test('buildZone refuses data outside the zone and a zone without SOA', async (t) => {
  t.throws(() => buildZone('example.', rrs(`$TTL 60\n@ SOA ns1 h 1 2 3 4 5\nx.example.org. A 192.0.2.1\n`)), {
    name: 'ZoneCheckError',
    message: 'zone example.: x.example.org. is outside the zone example.',
  });
  t.throws(() => buildZone('example.', rrs(`$TTL 60\n@ NS ns1\n`)), { name: 'ZoneCheckError', message: /no SOA record at the apex/ });
});

t.test('withChanges: new version, old one untouched, ENTs follow', async (t) => {
  const v1 = buildZone('example.', rrs(BASE));
  const before = dump(v1);
  const v2 = v1.withChanges([{ name: 'deep.x.y.example.', type: RRType.A, ttl: 60, rdata: [rdataOf('A 192.0.2.50')] }]);
  t.equal(v2.version, 2);
  t.ok(v2.exists('x.y.example.') && v2.exists('y.example.'), 'new empty non-terminals exist');
  t.notOk(v1.exists('y.example.'), 'the old version does not see them');
  t.same(dump(v1), before);
  t.equal(v2.node('y.example.')!.below, 1);

  const v3 = v2.withChanges([
    { name: 'deep.x.y.example.', type: RRType.A, ttl: 0, rdata: [] },
    { name: 'a.b.c.example.', type: RRType.A, ttl: 60, rdata: [] },
  ]);
  t.notOk(v3.exists('deep.x.y.example.'));
  t.notOk(v3.exists('y.example.'), 'the ENTs above a removed name disappear');
  t.notOk(v3.exists('b.c.example.'));
  t.ok(v2.exists('deep.x.y.example.'), 'v2 unchanged');

  const v4 = v3.withChanges([{ name: 'ns1.example.', type: RRType.TXT, ttl: 60, rdata: [rdataOf('TXT "a"'), rdataOf('TXT "a"')] }]);
  t.equal(v4.rrset('ns1.example.', RRType.TXT)!.rrs.length, 1, 'duplicates merged');
  t.ok(v4.rrset('ns1.example.', RRType.A), 'other RRsets of the name kept');
  t.same(v4.zoneCuts, ['sub.example.']);
});

t.test('withChanges: SOA replacement, guards', async (t) => {
  const v1 = buildZone('example.', rrs(BASE));
  const v2 = v1.withChanges([{ name: 'EXAMPLE.', type: RRType.SOA, ttl: 100, rdata: [rdataOf('SOA ns1.example. h.example. 8 3600 900 604800 600')] }]);
  t.equal(v2.serial, 8);
  t.equal(v2.negativeSoa.ttl, 100, 'min(SOA TTL 100, MINIMUM 600)');
  t.equal(v1.serial, 7);
  t.throws(() => v1.withChanges([{ name: 'example.', type: RRType.SOA, ttl: 0, rdata: [] }]), { code: 'HZ_ERR_ZONE_DATA' });
  t.throws(() => v1.withChanges([{ name: 'example.org.', type: RRType.A, ttl: 0, rdata: [] }]), { code: 'HZ_ERR_ZONE_DATA' });
});

t.test('withChanges: many versions fold the overlay and stay equal to a rebuild', async (t) => {
  let z = buildZone('example.', rrs(BASE));
  const expected = [...rrs(BASE)];
  for (let i = 0; i < 300; i++) {
    const name = `h${i}.l${i % 7}.example.`;
    const rdata = rdataOf(`A 10.0.${i >> 8}.${i & 255}`);
    z = z.withChanges([{ name, type: RRType.A, ttl: 60, rdata: [rdata] }]);
    expected.push({ name, type: RRType.A, class: 1, ttl: 60, rdata });
    if (i % 3 === 0) {
      z = z.withChanges([{ name, type: RRType.A, ttl: 60, rdata: [] }]);
      expected.pop();
    }
  }
  t.equal(z.version, 401);
  const rebuilt = buildZone('example.', expected);
  t.same(dump(z), dump(rebuilt));
  const names = (x: Zone): string[] => [...x.nodes()].map((n) => `${n.key}/${n.below}/${n.rrsets.size}`).sort();
  t.same(names(z), names(rebuilt), 'same names, ENTs and below counts');
});
