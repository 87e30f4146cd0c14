// Query-log benchmark (issue 16):
//   node bench/querylog.mjs qps    [--rounds 3] [--seconds 10]   cache-hit QPS, SQLite sink at sample rate 1 vs log off
//   node bench/querylog.mjs search [--rows 10000000]             search over N rows by client and by name suffix (SQLite)
//   node bench/querylog.mjs pg     [--rows 10000000] [--rate 30000] [--seconds 10]
//                                  PostgreSQL: sink rows/s at a fixed offered rate (drops counted), then search over N rows
// Needs `npm run build` first. Starts its own NSD and horizond (qps) and PostgreSQL (pg, as the
// user nobody) on 127.0.0.1 and stops them at the end. The machine is shared: quote `uptime`.
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dnsperf } from './lib/dnsperf.mjs';
import { freePort, startPinned, stop, stopAllNow, waitReady } from './lib/proc.mjs';
import { FWD_ZONE, hostName, writeQueryFiles, writeZones } from './lib/data.mjs';
import { nsdConfig } from './lib/targets.mjs';

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
const args = process.argv.slice(2);
const value = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : dflt; };
const what = args[0] ?? 'qps';
process.on('exit', stopAllNow);
process.on('SIGINT', () => process.exit(130));
const load = () => loadavg().map((n) => n.toFixed(1)).join(' ');

async function qps() {
  const rounds = value('--rounds', 3);
  const seconds = value('--seconds', 10);
  const dir = mkdtempSync(join(tmpdir(), 'horizond-bench-ql-'));
  const zones = writeZones(dir);
  const files = writeQueryFiles(dir);
  const upstreamPort = await freePort();
  const nsd = startPinned(1, ['/usr/sbin/nsd', '-d', '-c', nsdConfig(dir, upstreamPort, FWD_ZONE, zones.fwd)], join(dir, 'nsd.log'));
  await waitReady(nsd, upstreamPort, hostName(0, FWD_ZONE));
  const results = { off: [], sqlite: [] };
  for (let r = 0; r < rounds; r++) {
    for (const mode of r % 2 === 0 ? ['off', 'sqlite'] : ['sqlite', 'off']) {
      const port = await freePort();
      const d = join(dir, `${mode}-${r}`);
      mkdirSync(join(d, 'data'), { recursive: true });
      const file = join(d, 'horizond.yaml');
      writeFileSync(file, [
        `server: { listen: [{ address: 127.0.0.1, port: ${port}, protocols: [udp] }], dataDir: ${join(d, 'data')} }`,
        'log: { level: warn }',
        'recursion: { allow: [loopback] }',
        `forward: { upstreams: [{ address: 127.0.0.1, port: ${upstreamPort}, protocol: udp }] }`,
        'cache: { maxEntries: 100000 }',
        'metrics: { enabled: false }',
        mode === 'off' ? 'queryLog: { enabled: false }' : 'queryLog: { enabled: true, sampleRate: 1, sinks: [ { type: sqlite } ] }',
        '',
      ].join('\n'));
      const h = startPinned(0, [process.execPath, '--optimize-for-size', join(ROOT, 'dist/main.js'), '--config', file], join(d, 'horizond.log'));
      await waitReady(h, port, hostName(0, FWD_ZONE));
      await dnsperf({ port, file: files.hits, runs: 1 }); // warm the cache
      const res = await dnsperf({ port, file: files.hits, seconds });
      results[mode].push(res.qps);
      console.log(`round ${r + 1} ${mode.padEnd(6)} ${Math.round(res.qps)} QPS, lost ${res.lost ?? 0} (load ${load()})`);
      await stop(h);
    }
  }
  await stop(nsd);
  const med = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
  console.log(`median: off ${Math.round(med(results.off))} QPS, sqlite ${Math.round(med(results.sqlite))} QPS, ratio ${(med(results.sqlite) / med(results.off)).toFixed(3)}`);
  rmSync(dir, { recursive: true, force: true });
}

/** Synthetic rows: 2,000 clients in 192.168.0.0/21, 50,000 names under 500 domains, over the last 6 days. */
function* rows(n, now) {
  for (let i = 0; i < n; i++) {
    const c = (i * 7919) % 2000;
    const name = `h${(i * 104729) % 100}.d${(i * 31) % 500}.example.`;
    yield { i, time: now - 6 * 86_400_000 + Math.floor((i / n) * 6 * 86_400_000), client: `192.168.${c >> 8}.${c & 255}`, name };
  }
}

function time(fn, reps = 5) {
  fn(); // warm
  const ms = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return ms[ms.length >> 1];
}

async function timeAsync(fn, reps = 5) {
  await fn();
  const ms = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return ms[ms.length >> 1];
}

const SEARCHES = [
  ['client address, newest 50', { client: '192.168.3.77' }],
  ['client /24, newest 50', { client: '192.168.5.0/24' }],
  ['client /28 in the last hour', { client: '192.168.2.16/28', fromAgo: 3_600_000 }],
  ['name suffix d123.example, newest 50', { name: 'd123.example' }],
  ['name exact h29.d31.example, newest 50', { name: 'h29.d31.example', nameMatch: 'exact' }],
  ['name suffix + client /24', { name: 'd42.example', client: '192.168.1.0/24' }],
  ['suffix, page 20 (cursor)', { name: 'example', pages: 20 }],
];

async function search() {
  const n = value('--rows', 10_000_000);
  const { setupDatabase, INSERT, recordParams } = await import('../dist/querylog/sqlite/schema.js');
  const { SqliteReader } = await import('../dist/querylog/sqlite/reader.js');
  const Database = (await import('better-sqlite3')).default;
  const dir = mkdtempSync(join(tmpdir(), 'horizond-bench-qls-'));
  const file = join(dir, 'q.sqlite');
  const db = new Database(file);
  setupDatabase(db);
  db.pragma('cache_size = -1000000'); // 1 GB page cache for the bulk load only (the sink writes at DNS speed)
  const ins = db.prepare(INSERT);
  const now = Date.now();
  const t0 = performance.now();
  let batch = [];
  const flush = db.transaction((b) => { for (const r of b) ins.run(r); });
  for (const r of rows(n, now)) {
    batch.push(recordParams({ time: r.time, client: r.client, port: 40000, view: 'lan', protocol: 'udp', qname: r.name, qtype: 1, rcode: 0,
      source: r.i % 20 === 0 ? 'blocklist' : 'cache', upstream: null, durationMs: 0.2, answers: ['192.0.2.1'], translated: false, blockedBy: null, ede: null }));
    if (batch.length === 50_000) { flush(batch); batch = []; if ((r.i + 1) % 1_000_000 === 0) console.log(`  ${r.i + 1} rows (${((performance.now() - t0) / 1000).toFixed(0)} s)`); }
  }
  flush(batch);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.exec('ANALYZE');
  db.close();
  console.log(`sqlite: ${n} rows inserted in ${((performance.now() - t0) / 1000).toFixed(0)} s (load ${load()})`);
  const reader = new SqliteReader(file);
  for (const [label, s] of SEARCHES) {
    const f = { ...s, ...(s.fromAgo ? { from: now - s.fromAgo } : {}) };
    delete f.fromAgo; delete f.pages;
    const ms = time(() => {
      let cursor = null;
      for (let p = 0; p < (s.pages ?? 1); p++) cursor = reader.searchSync(f, { limit: 50, cursor }).next;
    });
    const got = reader.searchSync(f, { limit: 50 }).records.length;
    console.log(`sqlite search ${label}: ${ms.toFixed(1)} ms (${got} rows; load ${load()})`);
  }
  await reader.close();
  rmSync(dir, { recursive: true, force: true });
}

async function pgBench() {
  const n = value('--rows', 10_000_000);
  const rate = value('--rate', 30_000);
  const seconds = value('--seconds', 10);
  const pg = (await import('pg')).default;
  const dir = mkdtempSync(join(tmpdir(), 'horizond-bench-pg-'));
  chmodSync(dir, 0o755);
  const pw = join(dir, 'pw');
  writeFileSync(pw, 'bench\n');
  chownSync(dir, 65534, 65534);
  const nobody = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', '--'];
  const BIN = '/usr/lib/postgresql/15/bin';
  execFileSync(nobody[0], [...nobody.slice(1), `${BIN}/initdb`, '-D', join(dir, 'data'), '-U', 'horizond', '--pwfile', pw, '--auth-host=scram-sha-256', '--locale=C.UTF-8'], { stdio: 'ignore' });
  const port = await freePort();
  const server = spawn(nobody[0], [...nobody.slice(1), `${BIN}/postgres`, '-D', join(dir, 'data'), '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1',
    '-c', 'shared_buffers=256MB', '-c', 'max_wal_size=4GB', '-c', 'synchronous_commit=off'], { stdio: 'ignore' });
  const url = `postgres://horizond@127.0.0.1:${port}/postgres`;
  const client = () => new pg.Client({ connectionString: `postgres://horizond:bench@127.0.0.1:${port}/postgres` });
  for (let i = 0; ; i++) {
    const c = client();
    try { await c.connect(); await c.end(); break; } catch { await c.end().catch(() => {}); if (i > 300) throw new Error('postgres did not start'); await new Promise((r) => setTimeout(r, 100)); }
  }
  try {
    // 1. The sink at a fixed offered rate, through the real output (batches every 200 ms).
    const { QueryLogOutput } = await import('../dist/querylog/output.js');
    const out = new QueryLogOutput();
    const cfg = { enabled: true, sampleRate: 1, views: [], file: null, retention: 7 * 86400, queueSize: 100_000, liveStats: false,
      sinks: [{ type: 'postgres', url, passwordFile: pw, table: 'horizond_queries', batchRows: 5000, flushInterval: 1 }] };
    const log = out.forConfig(cfg, ['lan'], false, dir);
    const metric = (name) => { let v = 0; out.metricsSource().collect({ value: (m, l, x) => { if (m === name && l?.sink === 'postgres') v = x; }, histogram() {} }); return v; };
    while (metric('horizond_query_log_sink_up') !== 1) await new Promise((r) => setTimeout(r, 50));
    const dnsPacket = (await import('dns-packet')).default;
    const wire = dnsPacket.encode({ type: 'response', id: 1, questions: [{ type: 'A', name: 'www.example.com', class: 'IN' }],
      answers: [{ type: 'A', name: 'www.example.com', ttl: 60, class: 'IN', data: '192.0.2.1' }] });
    const ctx = { address: '192.168.1.10', port: 40000, transport: 0, source: 2, upstream: null, translated: false, blockedBy: null, ede: -1, q: { qtype: 1 }, view: null };
    const total = rate * seconds;
    const t0 = performance.now();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
      for (; sent < due; sent++) log.log(ctx, wire, 0, performance.now(), 0.0002);
      await new Promise((r) => setTimeout(r, 10));
    }
    const offered = performance.now() - t0;
    out.flush();
    while (metric('horizond_query_log_written_total') + metric('horizond_query_log_dropped_total') < total && performance.now() - t0 < offered + 60_000) await new Promise((r) => setTimeout(r, 20));
    const done = performance.now() - t0;
    console.log(`postgres sink: offered ${rate} rows/s for ${seconds} s; written ${metric('horizond_query_log_written_total')}, dropped ${metric('horizond_query_log_dropped_total')}, `
      + `all written ${((done - offered) / 1000).toFixed(2)} s after the last row (${Math.round(metric('horizond_query_log_written_total') / (done / 1000))} rows/s overall; load ${load()})`);
    await out.close();

    // 2. N rows by COPY, then the searches through the reader.
    const { copyLine, COPY_COLUMNS } = await import('../dist/querylog/postgres/schema.js');
    const copyStreams = (await import('pg-copy-streams')).default;
    const c = client();
    await c.connect();
    const now = Date.now();
    const t1 = performance.now();
    let lines = [];
    const copy = (text) => new Promise((res, rej) => { const s = c.query(copyStreams.from(`COPY horizond_queries (${COPY_COLUMNS}) FROM STDIN`)); s.on('error', rej); s.on('finish', res); s.end(text); });
    // Partitions for the six days the rows cover.
    const { maintainPartitions } = await import('../dist/querylog/postgres/schema.js');
    for (let d = 0; d <= 6; d++) await maintainPartitions(c, 'horizond_queries', now - d * 86_400_000, 30 * 86_400_000);
    for (const r of rows(n, now)) {
      lines.push(copyLine({ time: r.time, client: r.client, port: 40000, view: 'lan', protocol: 'udp', qname: r.name, qtype: 1, rcode: 0,
        source: r.i % 20 === 0 ? 'blocklist' : 'cache', upstream: null, durationMs: 0.2, answers: ['192.0.2.1'], translated: false, blockedBy: null, ede: null }, 'bench'));
      if (lines.length === 100_000) { await copy(lines.join('')); lines = []; if ((r.i + 1) % 1_000_000 === 0) console.log(`  ${r.i + 1} rows (${((performance.now() - t1) / 1000).toFixed(0)} s)`); }
    }
    if (lines.length > 0) await copy(lines.join(''));
    await c.query('ANALYZE horizond_queries');
    await c.end();
    console.log(`postgres: ${n} rows copied in ${((performance.now() - t1) / 1000).toFixed(0)} s (load ${load()})`);
    const { PostgresReader } = await import('../dist/querylog/postgres/reader.js');
    const reader = await PostgresReader.open(cfg.sinks[0]);
    for (const [label, s] of SEARCHES) {
      const f = { ...s, ...(s.fromAgo ? { from: now - s.fromAgo } : {}) };
      delete f.fromAgo; delete f.pages;
      const ms = await timeAsync(async () => {
        let cursor = null;
        for (let p = 0; p < (s.pages ?? 1); p++) cursor = (await reader.search(f, { limit: 50, cursor })).next;
      });
      const got = (await reader.search(f, { limit: 50 })).records.length;
      console.log(`postgres search ${label}: ${ms.toFixed(1)} ms (${got} rows; load ${load()})`);
    }
    await reader.close();
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (what === 'qps') await qps();
else if (what === 'search') await search();
else if (what === 'pg') await pgBench();
else { console.error('usage: node bench/querylog.mjs qps|search|pg [options]'); process.exit(2); }
