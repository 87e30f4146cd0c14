// In-process blocking check: builds the set from a list file (as the worker does) and times
// BlockSet.match for listed names, names below them, and unlisted names; reports the RSS the
// set adds. usage: node --expose-gc bench/blocking/micro.mjs LIST
import { readFileSync } from 'node:fs';
import { compileSource, mergeParts, BlockSet } from '../../dist/blocking/set.js';
import { nameToWire } from '../../dist/wire/name.js';

const file = process.argv[2];
globalThis.gc?.();
const rss0 = process.memoryUsage().rss;
const t0 = performance.now();
let text = readFileSync(file);
const c = compileSource(text);
const set = new BlockSet(mergeParts([{ keys: c.block, bits: 1 }, { keys: c.allow, bits: 1 << 16 }]));
const buildMs = performance.now() - t0;
const sample = text.subarray(0, 4096).toString('latin1').split('\n').filter((l) => l.startsWith('0.0.0.0 ')).map((l) => l.slice(8));
text = null;
globalThis.gc?.();
await new Promise((r) => setTimeout(r, 200));
globalThis.gc?.();
// The set's own arrays, plus the per-source keys the manager keeps (c.block), as in the daemon.
const rss1 = process.memoryUsage().rss;
const q = (n) => Buffer.concat([Buffer.alloc(12), nameToWire(`${n}.`), Buffer.from([0, 1, 0, 1])]);
const cases = {
  'listed name': sample.slice(0, 50).map(q),
  'two labels below a listed name': sample.slice(0, 50).map((n) => q(`a.b.${n}`)),
  'unlisted, 3 labels': Array.from({ length: 50 }, (_, i) => q(`www${i}.example${i}.com`)),
};
console.log(`set: ${set.size} names, ${(set.bytes / 1048576).toFixed(1)} MiB of arrays; built in ${buildMs.toFixed(0)} ms on the main thread here; RSS +${((rss1 - rss0) / 1048576).toFixed(1)} MiB (set + per-source keys)`);
for (const [label, qs] of Object.entries(cases)) {
  let hits = 0;
  for (let i = 0; i < 200_000; i++) hits += set.match(qs[i % qs.length], 12, 1) >= 0 ? 1 : 0; // warm up
  const N = 2_000_000;
  const s = performance.now();
  for (let i = 0; i < N; i++) hits += set.match(qs[i % qs.length], 12, 1) >= 0 ? 1 : 0;
  const ns = ((performance.now() - s) * 1e6) / N;
  console.log(`check, ${label}: ${ns.toFixed(0)} ns (${hits > 0 ? 'blocked' : 'not blocked'})`);
}
