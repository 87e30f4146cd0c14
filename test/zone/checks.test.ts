import t from 'tap';
import { buildZone } from '../../src/zone/build.js';
import { checkRecords, checkZone } from '../../src/zone/checks.js';
import { parseZone } from '../../src/zone/parser.js';

const HEAD = '$TTL 60\n@ SOA ns1 h 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.1\n';

function parsed(body: string) {
  return parseZone(HEAD + body, { origin: 'example.', file: 'c.zone' });
}

function check(body: string) {
  const p = parsed(body);
  const where = new Map(p.rrs.map((rr, i) => [`${rr.name.toLowerCase()} ${rr.type}`, p.positions[i]!] as const).reverse());
  const r = checkZone(buildZone('example.', p.rrs), (key, type) => where.get(`${key} ${type}`));
  const fmt = (i: { message: string; pos?: { line: number } }): string => `${i.pos?.line ?? '-'}: ${i.message}`;
  return { errors: r.errors.map(fmt), warnings: r.warnings.map(fmt) };
}

t.test('a clean zone has no findings', async (t) => {
  t.same(check('www CNAME ns1\nsub NS ns.sub\nns.sub A 192.0.2.2\n'), { errors: [], warnings: [] });
});

t.test('CNAME exclusivity (RFC 2181 §10.1), DNSSEC types excepted', async (t) => {
  t.same(check('www CNAME ns1\nwww TXT "x"\n').errors, ['6: www.example. has a CNAME and other data (TXT) (RFC 2181 §10.1)']);
  t.same(check('www CNAME ns1\nwww CNAME ns2\n').errors, ['5: www.example. has 2 CNAME records; only one is allowed']);
  const sig = 'RRSIG CNAME 8 2 60 20300101000000 20200101000000 1 example. AAAA';
  t.same(check(`www CNAME ns1\nwww ${sig}\nwww NSEC z.example. CNAME RRSIG NSEC\n`).errors, []);
  t.same(check('@ CNAME ns1\n').errors, ['5: example. has a CNAME and other data (SOA) (RFC 2181 §10.1)'], 'not at the apex either');
});

t.test('SOA only at the apex, one DNAME per name', async (t) => {
  t.same(check('sub SOA ns1 h 1 2 3 4 5\n').errors, ['5: SOA record at sub.example., which is not the apex example.']);
  t.same(check('d DNAME a.example.org.\nd DNAME b.example.org.\n').errors, ['5: d.example. has 2 DNAME records; only one is allowed']);
});

t.test('glue and occluded data are warnings', async (t) => {
  const r = check('sub NS ns.sub\nsub NS ns.other.example.net.\nx.sub TXT "hidden"\nx.sub A 192.0.2.9\n');
  t.same(r.errors, []);
  t.same(r.warnings, [
    '5: NS ns.sub.example. of sub.example. is inside the zone but has no glue (A/AAAA)',
    '7: x.sub.example. TXT is below the delegation sub.example. and will not be served',
  ]);
});

t.test('checkRecords: outside the zone, wrong class, second SOA, no SOA', async (t) => {
  const p = parsed('x.example.org. A 192.0.2.1\n@ SOA ns1 h 2 2 3 4 5\n@ SOA ns1 h 1 2 3 4 5\n');
  const rrs = [...p.rrs, { ...p.rrs[3]!, name: 'y.example.', class: 3 }];
  const r = checkRecords('example.', rrs, p.positions);
  t.same(r.errors.map((e) => `${e.pos?.line ?? '-'}: ${e.message}`), [
    '5: x.example.org. is outside the zone example.',
    '6: a second SOA record for example.; exactly one is allowed (the first is at c.zone:2:1)',
    '-: y.example. has class CH, the zone is IN',
  ]);
  t.same(checkRecords('example.', p.rrs.slice(1, 3)).errors.map((e) => e.message), ['no SOA record at the apex example.']);
});
