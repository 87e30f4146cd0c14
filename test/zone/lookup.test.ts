import t from 'tap';
import { RRType } from '../../src/wire/constants.js';
import { rrToText } from '../../src/wire/presentation.js';
import type { RR } from '../../src/wire/types.js';
import { loadZoneText } from '../../src/zone/load.js';
import { LookupResult, lookup, type LookupAnswer } from '../../src/zone/lookup.js';

const ZONE = `$TTL 3600
@ SOA ns1 hostmaster 1 3600 900 604800 300
  NS ns1
  NS ns2
  MX 10 mail
ns1 A 192.0.2.1
    AAAA 2001:db8::1
ns2 A 192.0.2.2
mail A 192.0.2.25
host A 192.0.2.10
www CNAME host
alias2 CNAME www
loop1 CNAME loop2
loop2 CNAME loop1
ext CNAME www.example.org.
tosub CNAME x.sub
tonx CNAME missing
_sip._tcp SRV 0 1 5060 host
mxsub MX 10 ns.sub
*.apps 300 A 192.0.2.40
deep.ent.apps A 192.0.2.41
*.wc CNAME host
sub NS ns.sub
    NS ns1
    DS 12345 8 2 f53b26152d263ba83b037cd4962e434801256b885e9c9051f320b0db83f39ea7
ns.sub A 192.0.2.53
nods NS ns1
`;

const zone = loadZoneText(ZONE, 'example.').zone;
const ask = (qname: string, qtype: number): LookupAnswer => lookup(zone, qname, qtype);
const text = (rrs: RR[]): string[] => rrs.map((rr) => rrToText(rr).replace(/\t/g, ' '));
const SOA_NEG = 'example. 300 IN SOA ns1.example. hostmaster.example. 1 3600 900 604800 300';

t.test('exact match', async (t) => {
  const r = ask('host.example.', RRType.A);
  t.equal(r.result, LookupResult.Success);
  t.equal(r.aa, true);
  t.same(text(r.answer), ['host.example. 3600 IN A 192.0.2.10']);
  t.same(r.authority, [], 'minimal responses: no NS in authority');
  t.same(r.additional, []);
  t.equal(r.next, null);
  t.same(text(ask('HOST.Example.', RRType.A).answer), ['host.example. 3600 IN A 192.0.2.10'], 'case-insensitive');
});

t.test('NODATA and NXDOMAIN carry the SOA with TTL min(SOA TTL, MINIMUM)', async (t) => {
  const nodata = ask('host.example.', RRType.AAAA);
  t.equal(nodata.result, LookupResult.NoData);
  t.equal(nodata.aa, true);
  t.same(nodata.answer, []);
  t.same(text(nodata.authority), [SOA_NEG]);

  const nx = ask('nope.example.', RRType.A);
  t.equal(nx.result, LookupResult.NameError);
  t.equal(nx.aa, true);
  t.same(text(nx.authority), [SOA_NEG]);

  const low = loadZoneText('@ 60 SOA ns1 h 1 2 3 4 300\n@ 60 NS ns1\nns1 60 A 192.0.2.1\n', 'example.').zone;
  t.same(text(lookup(low, 'x.example.', RRType.A).authority), ['example. 60 IN SOA ns1.example. h.example. 1 2 3 4 300'], 'SOA TTL below MINIMUM');
});

t.test('CNAME chains are followed inside the zone', async (t) => {
  const r = ask('alias2.example.', RRType.A);
  t.equal(r.result, LookupResult.Success);
  t.same(text(r.answer), [
    'alias2.example. 3600 IN CNAME www.example.',
    'www.example. 3600 IN CNAME host.example.',
    'host.example. 3600 IN A 192.0.2.10',
  ]);
  t.same(text(ask('www.example.', RRType.CNAME).answer), ['www.example. 3600 IN CNAME host.example.'], 'qtype CNAME is not chased');

  const nodata = ask('www.example.', RRType.AAAA);
  t.equal(nodata.result, LookupResult.NoData, 'the result describes the end of the chain');
  t.same(text(nodata.answer), ['www.example. 3600 IN CNAME host.example.']);
  t.same(text(nodata.authority), [SOA_NEG]);

  const nx = ask('tonx.example.', RRType.A);
  t.equal(nx.result, LookupResult.NameError, 'NXDOMAIN for the target (RFC 6604)');
  t.same(text(nx.answer), ['tonx.example. 3600 IN CNAME missing.example.']);
});

t.test('CNAME loops end; a chain leaving the zone is handed back in next', async (t) => {
  const loop = ask('loop1.example.', RRType.A);
  t.same(text(loop.answer), ['loop1.example. 3600 IN CNAME loop2.example.', 'loop2.example. 3600 IN CNAME loop1.example.']);
  t.equal(loop.next, null);

  const ext = ask('ext.example.', RRType.A);
  t.equal(ext.result, LookupResult.Success);
  t.same(text(ext.answer), ['ext.example. 3600 IN CNAME www.example.org.']);
  t.equal(ext.next, 'www.example.org.');

  let chain = '$TTL 60\n@ SOA ns1 h 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.1\n';
  for (let i = 0; i < 30; i++) chain += `c${i} CNAME c${i + 1}\n`;
  const long = lookup(loadZoneText(chain, 'example.').zone, 'c0.example.', RRType.A, { maxChain: 8 });
  t.equal(long.answer.length, 8, 'bounded by maxChain');
});

t.test('wildcards (RFC 4592): synthesized owner, ENTs block, exact * name', async (t) => {
  const w = ask('foo.apps.example.', RRType.A);
  t.equal(w.result, LookupResult.Success);
  t.same(text(w.answer), ['foo.apps.example. 300 IN A 192.0.2.40']);
  t.same(text(ask('a.b.apps.example.', RRType.A).answer), ['a.b.apps.example. 300 IN A 192.0.2.40'], 'several labels below');

  const nodata = ask('foo.apps.example.', RRType.AAAA);
  t.equal(nodata.result, LookupResult.NoData, 'the wildcard exists but has no AAAA');
  t.same(text(nodata.authority), [SOA_NEG]);

  t.equal(ask('ent.apps.example.', RRType.A).result, LookupResult.NoData, 'an empty non-terminal is NODATA');
  const blocked = ask('x.ent.apps.example.', RRType.A);
  t.equal(blocked.result, LookupResult.NameError, 'closest encloser ent.apps has no wildcard');
  t.same(blocked.answer, []);

  t.same(text(ask('*.apps.example.', RRType.A).answer), ['*.apps.example. 300 IN A 192.0.2.40']);

  const cn = ask('foo.wc.example.', RRType.A);
  t.same(text(cn.answer), ['foo.wc.example. 3600 IN CNAME host.example.', 'host.example. 3600 IN A 192.0.2.10']);
});

t.test('referral below a zone cut: NS in authority, glue in additional, aa off', async (t) => {
  for (const q of ['x.sub.example.', 'sub.example.', 'a.b.sub.example.']) {
    const r = ask(q, RRType.A);
    t.equal(r.result, LookupResult.Delegation, q);
    t.equal(r.aa, false);
    t.same(r.answer, []);
    t.same(text(r.authority), ['sub.example. 3600 IN NS ns.sub.example.', 'sub.example. 3600 IN NS ns1.example.']);
    t.same(text(r.additional), ['ns.sub.example. 3600 IN A 192.0.2.53', 'ns1.example. 3600 IN A 192.0.2.1', 'ns1.example. 3600 IN AAAA 2001:db8::1']);
  }
  t.equal(ask('ns.sub.example.', RRType.A).result, LookupResult.Delegation, 'glue itself is not answered authoritatively');

  const viaCname = ask('tosub.example.', RRType.A);
  t.equal(viaCname.result, LookupResult.Delegation);
  t.equal(viaCname.aa, true, 'AA follows the first owner name, an authoritative CNAME (RFC 1035 §4.1.1)');
  t.same(text(viaCname.answer), ['tosub.example. 3600 IN CNAME x.sub.example.']);
});

t.test('DS at a cut is answered from the parent side', async (t) => {
  const ds = ask('sub.example.', RRType.DS);
  t.equal(ds.result, LookupResult.Success);
  t.equal(ds.aa, true);
  t.same(ds.answer.map((rr) => rr.type), [RRType.DS]);
  const none = ask('nods.example.', RRType.DS);
  t.equal(none.result, LookupResult.NoData);
  t.same(text(none.authority), [SOA_NEG]);
  t.equal(ask('x.sub.example.', RRType.DS).result, LookupResult.Delegation, 'DS below the cut is the child’s');
});

t.test('ANY is answered with one RRset (RFC 8482): the lowest type number', async (t) => {
  t.same(text(ask('ns1.example.', RRType.ANY).answer), ['ns1.example. 3600 IN A 192.0.2.1']);
  const apex = ask('example.', RRType.ANY);
  t.same(apex.answer.map((rr) => rr.type), [RRType.NS, RRType.NS]);
  t.same(text(ask('www.example.', RRType.ANY).answer), ['www.example. 3600 IN CNAME host.example.'], 'a CNAME is not chased for ANY');
  t.equal(ask('ent.apps.example.', RRType.ANY).result, LookupResult.NoData);
});

t.test('ANY with allForAny (TCP): every RRset at the name in type order, wildcards synthesised', async (t) => {
  const all = (qname: string): LookupAnswer => lookup(zone, qname, RRType.ANY, { allForAny: true });
  t.same(all('example.').answer.map((rr) => rr.type), [RRType.NS, RRType.NS, RRType.SOA, RRType.MX]);
  t.same(all('example.').additional.length > 0, true, 'NS and MX targets still get their addresses');
  t.same(text(all('ns1.example.').answer), ['ns1.example. 3600 IN A 192.0.2.1', 'ns1.example. 3600 IN AAAA 2001:db8::1']);
  t.same(text(all('www.example.').answer), ['www.example. 3600 IN CNAME host.example.'], 'a CNAME is not chased for ANY');
  t.same(text(all('x.apps.example.').answer), ['x.apps.example. 300 IN A 192.0.2.40'], 'wildcard with the qname as owner');
  t.equal(all('ent.apps.example.').result, LookupResult.NoData);
  t.equal(all('missing.example.').result, LookupResult.NameError);
});

t.test('additional section: in-zone addresses of NS, MX and SRV targets', async (t) => {
  t.same(text(ask('example.', RRType.MX).additional), ['mail.example. 3600 IN A 192.0.2.25']);
  t.same(text(ask('example.', RRType.NS).additional), [
    'ns1.example. 3600 IN A 192.0.2.1', 'ns1.example. 3600 IN AAAA 2001:db8::1', 'ns2.example. 3600 IN A 192.0.2.2',
  ]);
  t.same(text(ask('_sip._tcp.example.', RRType.SRV).additional), ['host.example. 3600 IN A 192.0.2.10']);
  t.same(ask('mxsub.example.', RRType.MX).additional, [], 'a target below a cut is not authoritative data');
  t.same(ask('ext.example.', RRType.MX).additional, []);
});

t.test('a name outside the zone is a caller error', async (t) => {
  t.throws(() => ask('example.org.', RRType.A), { code: 'HZ_ERR_INVALID_ARGUMENT' });
});
