// Cost of the IXFR difference of one dynamic update to a large zone: the full comparison of two
// versions (zoneDiff without a note) against the names the update touched (namesDiff).
// Run after `npm run build`: node bench/update-diff.mjs [records]
import { loadZoneText } from '../dist/zone/load.js';
import { zoneDiff, namesDiff } from '../dist/xfr/diff.js';
import { RRType } from '../dist/wire/constants.js';

const N = Number(process.argv[2] ?? 200_000);
let text = '$ORIGIN big.test.\n$TTL 300\n@ SOA ns h 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\n';
const lines = [];
for (let i = 0; i < N; i++) lines.push(`h${i} A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
text += lines.join('\n') + '\n';
let zone = loadZoneText(text, 'big.test.').zone;
const ROUNDS = 50;
let full = 0;
let names = 0;
for (let r = 0; r < ROUNDS; r++) {
  const soa = new Uint8Array(zone.soa.rrs[0].rdata);
  new DataView(soa.buffer).setUint32(soa.length - 20, r + 2);
  const name = `new${r}.big.test.`;
  const next = zone.withChanges([{ name, type: RRType.A, ttl: 300, rdata: [Uint8Array.of(10, 200, 0, r)] }, { name: 'big.test.', type: RRType.SOA, ttl: 300, rdata: [soa] }]);
  let t0 = performance.now();
  const a = zoneDiff(zone, next);
  full += performance.now() - t0;
  t0 = performance.now();
  const b = namesDiff(zone, next, ['big.test.', name]);
  names += performance.now() - t0;
  if (a.added.length !== b.added.length || a.deleted.length !== b.deleted.length) throw new Error('diffs differ');
  zone = next;
}
console.log(`${N} records, ${ROUNDS} updates: full comparison ${(full / ROUNDS).toFixed(2)} ms/update, by the update's names ${(names / ROUNDS * 1000).toFixed(1)} µs/update`);
