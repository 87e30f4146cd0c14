// Dynamic update latency and throughput, fsync included, against the update path in a separate
// process (test/fixtures/kea/crash-child.ts: the daemon's own Server, whole chain, over UDP).
// Every update is what Kea D2 sends first for a new lease: TSIG hmac-sha256, prerequisite
// "name not in use", add A + DHCID. A reply means the update is in the fsync'd journal.
//
//   node --import @tapjs/typescript/import bench/updates.ts [updates=4000] [concurrency=1,8,32,128]
//
// Prints p50/p99/max latency and updates per second for each concurrency (in-flight updates).
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { TsigKey } from '../src/tsig/keyring.js';
import { signRequest } from '../src/tsig/sign.js';
import { buildUpdate, noneOf, rec } from '../test/fixtures/kea/update-client.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const total = Number(process.argv[2] ?? 4000);
const levels = (process.argv[3] ?? '1,8,32,128').split(',').map(Number);
const SECRET = 'YmVuY2htYXJrIGtleSBmb3IgaG9yaXpvbmQgdXBkYXRlcw==';
const key = new TsigKey({ name: 'kea-ddns.', algorithm: 'hmac-sha256', secret: SECRET });
const DHCID = 'AAABnOkDqAsdg1/NLsgMRumJyKnmMnp3N+GH2d+RECtrVwk=';

const dir = mkdtempSync(join(tmpdir(), 'horizond-bench-'));
writeFileSync(join(dir, 'z.zone'), '$ORIGIN bench.lan.\n$TTL 300\n@ SOA ns h 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\n');
writeFileSync(join(dir, 'horizond.yaml'), `server: { listen: [ { address: 127.0.0.1, port: 0, protocols: [udp] } ], dataDir: data }
keys: [ { name: kea-ddns., secret: "${SECRET}" } ]
zones: [ { name: bench.lan., file: z.zone, update: { preset: kea, keys: [kea-ddns.], networks: [127.0.0.1] } } ]
`);
const child = spawn(process.execPath, [...process.execArgv, join(root, 'test/fixtures/kea/crash-child.ts'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise<number>((resolve) => {
  createInterface({ input: child.stdout! }).on('line', (l) => { const m = /^READY (\d+)/.exec(l); if (m) resolve(Number(m[1])); });
});

const sock = dgram.createSocket('udp4');
const waiting = new Map<number, (rcode: number) => void>();
sock.on('message', (m) => { const w = waiting.get(m.readUInt16BE(0)); if (w) { waiting.delete(m.readUInt16BE(0)); w(m[3]! & 0xf); } });
await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));

let serial = 0;
function one(): Promise<{ ms: number; rcode: number }> {
  const n = serial++;
  const id = n & 0xffff;
  const name = `host-${n}.bench.lan.`;
  const msg = buildUpdate('bench.lan.', [noneOf(name)], [rec(`${name} 600 IN A 10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`), rec(`${name} 600 IN DHCID ${DHCID}`)], { id });
  const wire = signRequest(msg, key, Date.now() / 1000).wire;
  const t0 = performance.now();
  return new Promise((resolve) => {
    const timer = setTimeout(() => { waiting.delete(id); resolve({ ms: Infinity, rcode: -1 }); }, 5000);
    waiting.set(id, (rcode) => { clearTimeout(timer); resolve({ ms: performance.now() - t0, rcode }); });
    sock.send(wire, port, '127.0.0.1');
  });
}

async function run(concurrency: number, count: number, report = true): Promise<void> {
  const lat: number[] = [];
  let bad = 0;
  let left = count;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (left-- > 0) {
      const r = await one();
      if (r.rcode !== 0) bad++;
      else lat.push(r.ms);
    }
  }));
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  const q = (p: number): string => (lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] ?? NaN).toFixed(2);
  if (report) console.log(`| ${String(concurrency).padStart(3)} | ${String(count).padStart(6)} | ${q(0.5).padStart(7)} | ${q(0.99).padStart(7)} | ${q(1).padStart(7)} | ${Math.round(lat.length / secs).toString().padStart(6)} | ${bad} |`);
}

await run(8, 300, false); // warm-up (JIT), not reported
console.log('| in flight | updates | p50 ms | p99 ms | max ms | updates/s | failed |');
console.log('|---|---|---|---|---|---|---|');
for (const c of levels) await run(c, total);
console.log(`journal: ${(statSync(join(dir, 'data', 'bench.lan.journal')).size / 1024).toFixed(0)} KiB after ${serial} updates (compacted at 1 MiB)`);
child.kill('SIGKILL');
sock.close();
rmSync(dir, { recursive: true, force: true });
