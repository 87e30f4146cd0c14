import t from 'tap';
import { RRType } from '../../src/wire/constants.js';
import { readName } from '../../src/wire/name.js';
import { ZoneCheckError, ZoneParseError } from '../../src/zone/errors.js';
import { loadZoneFile } from '../../src/zone/load.js';
import { LookupResult, lookup } from '../../src/zone/lookup.js';

const FX = 'test/fixtures/zones';

t.test('every bad fixture fails with its file:line:col message', async (t) => {
  const cases: [string, 'ZoneParseError' | 'ZoneCheckError', string][] = [
    ['bad-paren-open.zone', 'ZoneParseError', "2:25: unbalanced parentheses: '(' is never closed"],
    ['bad-paren-close.zone', 'ZoneParseError', "2:47: unbalanced parentheses: ')' without '('"],
    ['bad-quote.zone', 'ZoneParseError', '5:9: unterminated quoted string'],
    ['bad-type.zone', 'ZoneParseError', '5:9: unknown RR type "AA"'],
    ['bad-ttl.zone', 'ZoneParseError', '5:6: bad TTL "1h30"'],
    ['bad-class.zone', 'ZoneParseError', '5:9: class CH does not match the zone class IN'],
    ['bad-rdata.zone', 'ZoneParseError', '5:8: A: "192.0.2.300" is not an IPv4 address'],
    ['bad-no-ttl.zone', 'ZoneParseError', '2:1: no TTL specified (use $TTL or give one on the first record)'],
    ['bad-no-owner.zone', 'ZoneParseError', '2:5: no owner name, and no previous record to take it from'],
    ['bad-directive.zone', 'ZoneParseError', '4:1: unsupported directive $GENERATE'],
    ['bad-name.zone', 'ZoneParseError', '5:1: bad name "a..b": empty label in name "a..b.example."'],
    ['bad-no-soa.zone', 'ZoneCheckError', '1:1: no SOA record at the apex example.'],
    ['bad-two-soa.zone', 'ZoneCheckError', `5:1: a second SOA record for example.; exactly one is allowed (the first is at ${FX}/bad-two-soa.zone:2:1)`],
    ['bad-no-ns.zone', 'ZoneCheckError', '2:1: no NS records at the apex example.'],
    ['bad-cname.zone', 'ZoneCheckError', '6:1: www.example. has a CNAME and other data (A) (RFC 2181 §10.1)'],
    ['bad-out-of-zone.zone', 'ZoneCheckError', '5:1: host.example.org. is outside the zone example.'],
  ];
  for (const [file, name, msg] of cases) {
    const path = `${FX}/${file}`;
    t.throws(() => loadZoneFile(path, 'example.'), { name, message: `${path}:${msg}` }, file);
  }
});

t.test('include errors: disabled, loop, missing file', async (t) => {
  t.throws(() => loadZoneFile(`${FX}/bad-include-loop.zone`, 'example.'), {
    message: `${FX}/bad-include-loop.zone:4:1: $INCLUDE is not enabled for this zone`,
  });
  t.throws(() => loadZoneFile(`${FX}/bad-include-loop.zone`, 'example.', { allowInclude: true }), {
    message: `${FX}/bad-include-loop-b.zone:2:10: $INCLUDE loop: ${FX}/bad-include-loop.zone is already being read`,
  });
  t.throws(() => loadZoneFile(`${FX}/bad-include-missing.zone`, 'example.', { allowInclude: true }), {
    message: `${FX}/bad-include-missing.zone:4:10: cannot read $INCLUDE file ${FX}/does-not-exist.zone: ENOENT`,
  });
  t.throws(() => loadZoneFile(`${FX}/nope.zone`, 'example.'), { message: `${FX}/nope.zone:1:1: cannot read the zone file: ENOENT` });
});

t.test('errors are typed and carry their position fields', async (t) => {
  try {
    loadZoneFile(`${FX}/bad-quote.zone`, 'example.');
    t.fail('should throw');
  } catch (e) {
    t.ok(e instanceof ZoneParseError);
    const p = e as ZoneParseError;
    t.same([p.file, p.line, p.col, p.reason, p.code], [`${FX}/bad-quote.zone`, 5, 9, 'unterminated quoted string', 'HZ_ERR_ZONE_PARSE']);
  }
  try {
    loadZoneFile(`${FX}/bad-cname.zone`, 'example.');
    t.fail('should throw');
  } catch (e) {
    t.ok(e instanceof ZoneCheckError);
    const c = e as ZoneCheckError;
    t.same([c.file, c.line, c.col, c.errors.length, c.code], [`${FX}/bad-cname.zone`, 6, 1, 1, 'HZ_ERR_ZONE_CHECK']);
  }
});

t.test('warnings do not stop a load and point at the record', async (t) => {
  const { zone, warnings } = loadZoneFile(`${FX}/warn-glue.zone`, 'example.');
  t.equal(zone.origin, 'example.');
  t.same(warnings.map((w) => `${w.pos!.line}:${w.pos!.col}: ${w.message}`), [
    '4:3: NS ns2.example. of example. is inside the zone but has no address records (A/AAAA)',
    '6:1: NS ns.sub.example. of sub.example. is inside the zone but has no glue (A/AAAA)',
    '8:1: sub-data.sub.example. TXT is below the delegation sub.example. and will not be served',
  ]);
});

t.test('the example zones load cleanly and answer the README query', async (t) => {
  const home = loadZoneFile('zones/home.lan.zone', 'home.lan');
  t.same(home.warnings, []);
  t.equal(home.zone.origin, 'home.lan.');
  const r = lookup(home.zone, 'host1.home.lan.', RRType.A);
  t.equal(r.result, LookupResult.Success);
  t.same(r.answer.map((rr) => [rr.name, rr.ttl]), [['host1.home.lan.', 3600]]);
  t.same([...r.answer[0]!.rdata], [192, 168, 1, 10]);
  t.equal(lookup(home.zone, 'grafana.apps.home.lan.', RRType.A).answer[0]!.name, 'grafana.apps.home.lan.');
  t.equal(lookup(home.zone, 'api.k8s.home.lan.', RRType.A).result, LookupResult.Delegation);

  const rev = loadZoneFile('zones/1.168.192.in-addr.arpa.zone', '1.168.192.in-addr.arpa.');
  t.same(rev.warnings, []);
  const ptr = lookup(rev.zone, '10.1.168.192.in-addr.arpa.', RRType.PTR);
  t.equal(ptr.result, LookupResult.Success);
  t.same(ptr.answer.map((rr) => readName(rr.rdata, 0).name), ['host1.home.lan.']);
});

t.test('the reverse zone matches the forward zone both ways', async (t) => {
  const home = loadZoneFile('zones/home.lan.zone', 'home.lan.').zone;
  const rev = loadZoneFile('zones/1.168.192.in-addr.arpa.zone', '1.168.192.in-addr.arpa.').zone;
  const forward = new Map<string, string>();
  for (const rr of home.records()) {
    if (rr.type === RRType.A && !rr.name.startsWith('*')) forward.set(rr.name, [...rr.rdata].join('.'));
  }
  for (const rr of rev.records()) {
    if (rr.type !== RRType.PTR) continue;
    const target = readName(rr.rdata, 0).name;
    t.equal(forward.get(target), `192.168.1.${rr.name.split('.')[0]}`, `${rr.name} -> ${target}`);
  }
  for (const [name, addr] of forward) {
    const back = lookup(rev, `${addr.split('.')[3]}.1.168.192.in-addr.arpa.`, RRType.PTR);
    t.equal(back.result, LookupResult.Success, `PTR for ${name} (${addr})`);
  }
});
