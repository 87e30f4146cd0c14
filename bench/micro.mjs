// In-process micro-benchmarks of the hot-path pieces (no sockets), run against the compiled
// code: `npm run build && node bench/micro.mjs [filter]`. Prints ns/op for each piece, so a
// regression shows up without the full end-to-end run. Numbers are per core, single-threaded.
import { performance } from 'node:perf_hooks';
import { QueryView } from '../dist/wire/query-view.js';
import { QueryContext, TransportKind } from '../dist/pipeline/context.js';
import { QueryStats } from '../dist/observability/query-stats.js';
import { parseConfig } from '../dist/config/index.js';
import { buildRuntime } from '../dist/runtime.js';
import { createLogger } from '../dist/observability/log.js';
import { UpdateManager } from '../dist/update/manager.js';
import { ReplicationManager } from '../dist/xfr/manager.js';
import { keyringFromConfig } from '../dist/tsig/signer.js';
import { encodeMessage } from '../dist/wire/message.js';
import { emptyMessage } from '../dist/wire/types.js';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const filter = process.argv[2] ?? '';

function query(name, type = 1, edns = true) {
  return encodeMessage(emptyMessage({
    id: 0x1234, rd: true, question: [{ name, type, class: 1 }],
    edns: edns ? { udpSize: 1232, extRcode: 0, version: 0, do: false, options: [] } : null,
  }));
}

function bench(name, fn, iterations = 300_000) {
  if (filter && !name.includes(filter)) return;
  for (let i = 0; i < 20_000; i++) fn(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  const ns = ((performance.now() - t0) * 1e6) / iterations;
  console.log(`${name.padEnd(44)} ${ns.toFixed(0).padStart(6)} ns/op  ${(1e9 / ns / 1000).toFixed(0).padStart(6)}k op/s`);
}

const q = query('host1.home.lan.');
const view = new QueryView();
bench('wire: QueryView.parse', () => view.parse(q));
view.parse(q);
bench('wire: QueryView.parse + key', () => { view.parse(q); return view.key(); });

// A one-answer upstream in this process, so cache entries can be primed through the real path.
const upstream = createSocket('udp4');
upstream.on('message', (m, r) => {
  const out = Buffer.concat([m.subarray(0, m.length - 11), Buffer.from('c00c000100010000012c0004c6336407', 'hex')]);
  out[2] |= 0x80; out[3] = 0x80; out.writeUInt16BE(1, 6); out.writeUInt16BE(0, 10);
  upstream.send(out, r.port, r.address);
});
await new Promise((r) => upstream.bind(0, '127.0.0.1', r));
const config = parseConfig(`
server: { listen: [{ address: 127.0.0.1, port: 0 }] }
forward: { upstreams: [{ address: 127.0.0.1, port: ${upstream.address().port} }] }
views:
  list:
    - { name: lan, match: [127.0.0.2], translate: [{ external: 198.51.100.7, internal: 10.0.20.7 }] }
    - { name: default }
zones:
  - { name: home.lan., file: zones/home.lan.zone }
  - { name: 1.168.192.in-addr.arpa., file: zones/1.168.192.in-addr.arpa.zone }
`, 'bench.yaml', root);
const stats = new QueryStats();
const log = createLogger('silent');
const updates = new UpdateManager({ dataDir: config.server.dataDir, log, readOnly: true });
const replication = new ReplicationManager({ keyring: keyringFromConfig(config.keys), log });
const rt = await buildRuntime(config, { log, stats, updates, replication });
let sent = 0;
const sink = { reply() { sent++; }, dropped() {} };
const ctx = new QueryContext();
const head = rt.pipeline.head;
function through(msg, address = '127.0.0.1') {
  return () => {
    ctx.reset(msg, address, 5353, 4, TransportKind.Udp, sink, null, 0);
    head.handle(ctx);
  };
}
const cached = query('www.example.net.');
through(cached)();
await new Promise((r) => setTimeout(r, 200)); // the miss went upstream and was cached
bench('pipeline: authoritative A (memo hit)', through(q));
bench('pipeline: authoritative NXDOMAIN (memo hit)', through(query('nope.home.lan.')));
bench('pipeline: authoritative CNAME chain (memo hit)', through(query('www.home.lan.')));
bench('pipeline: cache hit A', through(cached));
bench('pipeline: cache hit A, no EDNS', through(query('www.example.net.', 1, false)));
bench('pipeline: cache hit A, translating view', through(cached, '127.0.0.2'));
if (sent === 0) throw new Error('nothing was answered');
await rt.close();
await replication.close();
await updates.close();
upstream.close();
