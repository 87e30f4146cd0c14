import t from 'tap';
import { RRType } from '../../src/wire/constants.js';
import { rrToText } from '../../src/wire/presentation.js';
import type { RR } from '../../src/wire/types.js';
import { loadZoneText } from '../../src/zone/load.js';
import { LookupResult } from '../../src/zone/lookup.js';
import { ZoneStore } from '../../src/zone/store.js';

const head = (extra: string): string => `$TTL 60\n@ SOA ns1 h 1 2 3 4 30\n@ NS ns1\nns1 A 192.0.2.1\n${extra}`;
const parent = loadZoneText(head('sub NS ns1.sub\nsub DS 1 8 2 abcd\nns1.sub A 192.0.2.9\nto-other CNAME host.other.\nout CNAME www.example.org.\nping CNAME pong.other.\nhost A 192.0.2.2\n'), 'example.').zone;
const child = loadZoneText(head('www A 192.0.2.3\n'), 'sub.example.').zone;
const other = loadZoneText(head('host A 192.0.2.4\nhop CNAME host.example.\npong CNAME ping.example.\n'), 'other.').zone;
const store = new ZoneStore([parent, child, other]);
const text = (rrs: RR[]): string[] => rrs.map((rr) => rrToText(rr).replace(/\t/g, ' '));

t.test('findZone picks the most specific zone, null outside all', async (t) => {
  t.equal(store.size, 3);
  t.equal(store.findZone('www.sub.example.'), child);
  t.equal(store.findZone('SUB.example.'), child);
  t.equal(store.findZone('deep.x.example.'), parent);
  t.equal(store.findZone('example.'), parent);
  t.equal(store.findZone('example.org.'), null);
  t.equal(store.findZone('.'), null);
  t.equal(store.lookup('www.example.org.', RRType.A), null, 'not ours: the caller refuses or forwards');
});

t.test('DS for a child apex is answered from the parent when the store has it', async (t) => {
  t.equal(store.findZone('sub.example.', RRType.DS), parent);
  const ds = store.lookup('sub.example.', RRType.DS)!;
  t.equal(ds.zone, parent);
  t.equal(ds.result, LookupResult.Success);
  t.same(ds.answer.map((rr) => rr.type), [RRType.DS]);
  const alone = new ZoneStore([child]);
  t.equal(alone.findZone('sub.example.', RRType.DS), child, 'without the parent the child answers');
});

t.test('a CNAME chain continues into another zone of the store, AA kept', async (t) => {
  const r = store.lookup('to-other.example.', RRType.A)!;
  t.equal(r.zone, parent);
  t.equal(r.result, LookupResult.Success);
  t.equal(r.aa, true);
  t.same(text(r.answer), ['to-other.example. 60 IN CNAME host.other.', 'host.other. 60 IN A 192.0.2.4']);
  t.equal(r.next, null);

  const back = store.lookup('hop.other.', RRType.AAAA)!;
  t.equal(back.result, LookupResult.NoData);
  t.same(text(back.authority), ['example. 30 IN SOA ns1.example. h.example. 1 2 3 4 30'], 'negative data of the last zone');

  const loop = store.lookup('ping.example.', RRType.A)!;
  t.same(text(loop.answer), ['ping.example. 60 IN CNAME pong.other.', 'pong.other. 60 IN CNAME ping.example.']);
  t.equal(loop.next, null, 'a loop across zones ends the chain');
});

t.test('a chain leaving every zone reports where it goes', async (t) => {
  const r = store.lookup('out.example.', RRType.A)!;
  t.same(text(r.answer), ['out.example. 60 IN CNAME www.example.org.']);
  t.equal(r.next, 'www.example.org.');
});

t.test('set() swaps a zone version; delete() removes it', async (t) => {
  const s = new ZoneStore([parent, child]);
  const v2 = child.withChanges([{ name: 'www.sub.example.', type: RRType.A, ttl: 60, rdata: [] }]);
  s.set(v2);
  t.equal(s.size, 2);
  t.equal(s.lookup('www.sub.example.', RRType.A)!.result, LookupResult.NameError);
  t.equal(s.get('SUB.EXAMPLE.'), v2);
  t.ok(s.delete('sub.example.'));
  t.equal(s.lookup('www.sub.example.', RRType.A)!.result, LookupResult.Delegation, 'the parent now refers');
  t.notOk(s.delete('sub.example.'));
});
