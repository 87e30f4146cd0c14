import t from 'tap';
import { RRType } from '../../src/wire/constants.js';
import { rrToText } from '../../src/wire/presentation.js';
import { rdataFromText } from '../../src/wire/rdata/index.js';
import { loadZoneText } from '../../src/zone/load.js';
import type { Zone } from '../../src/zone/zone.js';
import { serialOf, zoneDiff } from '../../src/xfr/diff.js';
import { XfrHistory } from '../../src/xfr/history.js';

const ZONE = `$ORIGIN example.
$TTL 300
@ SOA ns hostmaster 1 3600 600 86400 60
@ NS ns
ns A 192.0.2.1
www A 192.0.2.10
www A 192.0.2.11
mail MX 10 mx
mx A 192.0.2.25
`;

const zone = (): Zone => loadZoneText(ZONE, 'example.').zone;

function a(addr: string): Uint8Array {
  return rdataFromText(RRType.A, [{ text: addr, quoted: false, line: 1, col: 1 }], 'example.');
}

function bump(z: Zone, serial: number, changes: Parameters<Zone['withChanges']>[0] = []): Zone {
  const soa = new Uint8Array(z.soa.rrs[0]!.rdata);
  new DataView(soa.buffer).setUint32(soa.length - 20, serial);
  return z.withChanges([...changes, { name: z.origin, type: RRType.SOA, ttl: z.soa.ttl, rdata: [soa] }]);
}

const texts = (rrs: readonly { name: string; type: number; class: number; ttl: number; rdata: Uint8Array }[]): string[] => rrs.map(rrToText).sort();

t.test('zoneDiff finds exactly the records that left and came', async (t) => {
  const z1 = zone();
  const z2 = bump(z1, 2, [
    { name: 'www.example.', type: RRType.A, ttl: 300, rdata: [a('192.0.2.10'), a('192.0.2.12')] },
    { name: 'new.example.', type: RRType.A, ttl: 60, rdata: [a('192.0.2.99')] },
    { name: 'mx.example.', type: RRType.A, ttl: 0, rdata: [] },
  ]);
  const d = zoneDiff(z1, z2);
  t.equal(serialOf(d.from), 1);
  t.equal(serialOf(d.to), 2);
  t.same(texts(d.deleted), ['mx.example.\t300\tIN\tA\t192.0.2.25', 'www.example.\t300\tIN\tA\t192.0.2.11']);
  t.same(texts(d.added), ['new.example.\t60\tIN\tA\t192.0.2.99', 'www.example.\t300\tIN\tA\t192.0.2.12']);
});

t.test('a TTL change deletes and re-adds the RRset; unrelated versions are compared by content', async (t) => {
  const z1 = zone();
  const z2 = bump(z1, 2, [{ name: 'ns.example.', type: RRType.A, ttl: 30, rdata: [a('192.0.2.1')] }]);
  const d = zoneDiff(z1, z2);
  t.same(texts(d.deleted), ['ns.example.\t300\tIN\tA\t192.0.2.1']);
  t.same(texts(d.added), ['ns.example.\t30\tIN\tA\t192.0.2.1']);
  const reloaded = loadZoneText(ZONE.replace('192.0.2.11', '192.0.2.13'), 'example.').zone;
  const d2 = zoneDiff(z1, reloaded);
  t.same(texts(d2.deleted), ['www.example.\t300\tIN\tA\t192.0.2.11']);
  t.same(texts(d2.added), ['www.example.\t300\tIN\tA\t192.0.2.13']);
  t.same(zoneDiff(z1, zone()).added, [], 'the same file loaded twice differs in nothing');
});

t.test('the history answers from any serial it reaches back to, for exactly its latest version', async (t) => {
  const h = new XfrHistory({ maxDiffs: 3, maxRecords: 1000 });
  let z = zone();
  h.reset(z);
  const versions = [z];
  for (let s = 2; s <= 5; s++) {
    const next = bump(z, s, [{ name: `h${s}.example.`, type: RRType.A, ttl: 300, rdata: [a(`192.0.2.${s}`)] }]);
    h.push(next, zoneDiff(z, next));
    versions.push((z = next));
  }
  t.equal(h.length, 3, 'only the last 3 differences are kept');
  t.equal(h.since(1, z), null, 'serial 1 fell out of the history');
  const from2 = h.since(2, z)!;
  t.same(from2.map((d) => [serialOf(d.from), serialOf(d.to)]), [[2, 3], [3, 4], [4, 5]]);
  t.same(h.since(4, z)!.map((d) => serialOf(d.to)), [5]);
  t.equal(h.since(3, versions[3]!), null, 'a version other than the latest gets no IXFR');
  t.equal(h.since(9, z), null, 'an unknown serial gets no IXFR');
  const same = zone().withChanges([]);
  t.notOk(h.rebase(same, zoneDiff(z, same)), 'other data is not a rebase');
});

t.test('a difference that does not continue the chain starts it again', async (t) => {
  const h = new XfrHistory();
  const z1 = zone();
  h.reset(z1);
  const z2 = bump(z1, 2);
  h.push(z2, zoneDiff(z1, z2));
  const z3 = bump(z1, 3);
  h.push(z3, zoneDiff(z1, z3)); // starts at serial 1, but the chain is at 2
  t.equal(h.length, 0);
  t.equal(h.latest, z3);
  const z4 = bump(z3, 3);
  h.push(z4, zoneDiff(z3, z4));
  t.equal(h.length, 0, 'a change without a new serial cannot be transferred incrementally');
});

t.test('the records bound drops the oldest differences', async (t) => {
  const h = new XfrHistory({ maxDiffs: 100, maxRecords: 10 });
  let z = zone();
  h.reset(z);
  for (let s = 2; s <= 6; s++) {
    const next = bump(z, s, [{ name: `h${s}.example.`, type: RRType.A, ttl: 300, rdata: [a('192.0.2.1'), a('192.0.2.2')] }]);
    h.push(next, zoneDiff(z, next));
    z = next;
  }
  t.equal(h.length, 2, 'each difference is 4 records: two fit in 10');
  t.ok(h.since(4, z));
  t.equal(h.since(3, z), null);
});

t.test('a noted change is diffed by its names alone, with the same result as a full comparison', async (t) => {
  const { noteChanges } = await import('../../src/zone/change-hint.js');
  let z = zone();
  let serial = 1;
  let seed = 7;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  for (let round = 0; round < 200; round++) {
    const changes: { name: string; type: number; ttl: number; rdata: Uint8Array[] }[] = [];
    for (let k = 0; k <= rnd(3); k++) {
      const name = `h${rnd(20)}.example.`;
      const del = rnd(4) === 0;
      changes.push({ name, type: rnd(2) === 0 ? RRType.A : RRType.TXT, ttl: 60 + rnd(2), rdata: del ? [] : rnd(2) === 0 ? [a(`10.0.0.${rnd(250)}`)] : [rdataFromText(RRType.TXT, [{ text: `t${rnd(5)}`, quoted: true, line: 1, col: 1 }], 'example.')] });
    }
    const next = bump(z, ++serial, changes.map((c) => (c.type === RRType.TXT ? c : { ...c })).filter((c) => c.type !== RRType.TXT || c.rdata.length > 0 || rnd(2) === 0));
    const full = zoneDiff(z, next);
    noteChanges(next, z, new Set([z.key, ...changes.map((c) => c.name)]));
    const fast = zoneDiff(z, next);
    t.same(texts(fast.deleted), texts(full.deleted), `round ${round}: deleted`);
    t.same(texts(fast.added), texts(full.added), `round ${round}: added`);
    z = next;
  }
  // A note about another base is not used.
  const other = bump(zone(), 99);
  const next = bump(other, 100, [{ name: 'www.example.', type: RRType.A, ttl: 300, rdata: [] }]);
  noteChanges(next, zone(), new Set(['example.']));
  t.same(texts(zoneDiff(other, next).deleted).length, 2, 'falls back to comparing everything');
});
