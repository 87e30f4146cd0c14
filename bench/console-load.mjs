#!/usr/bin/env node
// What a busy console costs DNS: horizond (pinned to core 0) answers dnsperf (core 1) with the
// console idle, then while HTTP clients (this process, core 1) hammer the API's heaviest reads
// (a zone's records, the zone list, the dashboard counters); rounds alternate
// idle/busy so drift hits both alike. Prints QPS per round, the busy/idle ratio and the HTTP
// request rate. Needs dnsperf and taskset; `npm run build` first.
//
//   taskset -c 1 node bench/console-load.mjs [--rounds 3] [--seconds 5] [--clients 8] [--rate 0]
//
// --rate N limits the HTTP clients to N requests per second in all (0: as fast as they go). Run
// it pinned to core 1 (as above) so the HTTP clients never share horizond's core.
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const ROUNDS = arg('rounds', 3);
const SECONDS = arg('seconds', 5);
const CLIENTS = arg('clients', 8);
const RATE = arg('rate', 0);
const TOKEN = 'bench-console-token-0123456789';

const dir = mkdtempSync(join(tmpdir(), 'horizond-console-bench-'));
cpSync(join(ROOT, 'zones'), join(dir, 'zones'), { recursive: true });
writeFileSync(join(dir, 'admin.tok'), TOKEN);
writeFileSync(join(dir, 'h.yaml'), `server:
  listen: [{ address: 127.0.0.1, port: 0, protocols: [udp] }]
  dataDir: data
log: { level: info }
metrics: { enabled: false }
console: { enabled: true, listen: "127.0.0.1:0", tokens: [ { name: admin, secretFile: admin.tok, scope: write } ] }
zones:
  - { name: home.lan., file: zones/home.lan.zone }
`);
writeFileSync(join(dir, 'queries.txt'), ['host1.home.lan A', 'nas.home.lan AAAA', 'www.home.lan A', 'home.lan MX', 'printer.home.lan A'].join('\n') + '\n');

const daemon = spawn('taskset', ['-c', '0', process.execPath, '--optimize-for-size', join(ROOT, 'dist', 'main.js'), '--config', join(dir, 'h.yaml')], { stdio: ['ignore', 'pipe', 'inherit'], cwd: dir });
const ready = await new Promise((res, rej) => {
  const t = setTimeout(() => rej(new Error('horizond did not start in 30 s')), 30_000);
  createInterface({ input: daemon.stdout }).on('line', (l) => {
    try {
      const r = JSON.parse(l);
      if (r.msg === 'ready') { clearTimeout(t); res(r); }
    } catch { /* not JSON */ }
  });
});
const dnsPort = ready.listeners[0].port;
// the console starts after the DNS ports; it is logged at warn level only on failure, so poll
const consolePort = ready.console?.port;
if (!consolePort) throw new Error('the console did not start');
const base = `http://127.0.0.1:${consolePort}`;

function dnsperf(seconds) {
  const out = execFileSync('taskset', ['-c', '1', 'dnsperf', '-s', '127.0.0.1', '-p', String(dnsPort), '-d', join(dir, 'queries.txt'), '-l', String(seconds), '-c', '1', '-T', '1', '-q', '100'], { encoding: 'utf8', timeout: (seconds + 20) * 1000 });
  const m = /Queries per second:\s+([\d.]+)/.exec(out);
  return m ? Number(m[1]) : NaN;
}

/** CLIENTS loops of API reads until `stop`; returns requests done. */
async function hammer(stop) {
  let n = 0;
  const paths = ['/api/v1/zones/home.lan./records', '/api/v1/stats', '/api/v1/zones'];
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    let i = 0;
    const gap = RATE > 0 ? (1000 * CLIENTS) / RATE : 0;
    let next = performance.now();
    while (!stop.done) {
      if (gap > 0) {
        next += gap;
        const wait = next - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      try {
        const r = await fetch(base + paths[i % paths.length], { headers: { authorization: `Bearer ${TOKEN}` } });
        await r.arrayBuffer();
        n++;
      } catch { /* counted as not done */ }
      i++;
    }
  }));
  return n;
}

// warm up
dnsperf(1);
const rows = [];
for (let r = 0; r < ROUNDS; r++) {
  const idle = dnsperf(SECONDS);
  const stop = { done: false };
  const started = performance.now();
  const h = hammer(stop);
  // dnsperf blocks this thread: run it in a child and let the event loop serve the HTTP clients
  const busy = await new Promise((res) => {
    const c = spawn('taskset', ['-c', '1', 'dnsperf', '-s', '127.0.0.1', '-p', String(dnsPort), '-d', join(dir, 'queries.txt'), '-l', String(SECONDS), '-c', '1', '-T', '1', '-q', '100'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    c.stdout.on('data', (d) => { out += d; });
    c.on('close', () => { const m = /Queries per second:\s+([\d.]+)/.exec(out); res(m ? Number(m[1]) : NaN); });
  });
  stop.done = true;
  const requests = await h;
  const rps = requests / ((performance.now() - started) / 1000);
  rows.push({ idle, busy, rps });
  console.log(`round ${r + 1}: idle ${idle.toFixed(0)} QPS, console busy ${busy.toFixed(0)} QPS (${(busy / idle).toFixed(2)}×), API ${rps.toFixed(0)} req/s, load ${loadavg()[0].toFixed(1)}`);
}
const ratios = rows.map((x) => x.busy / x.idle).sort((a, b) => a - b);
console.log(`median busy/idle: ${ratios[Math.floor(ratios.length / 2)].toFixed(2)}× over ${ROUNDS} rounds (${CLIENTS} HTTP clients${RATE ? `, ${RATE} req/s` : ', unthrottled'})`);
daemon.kill('SIGTERM');
await new Promise((r) => daemon.on('exit', r));
rmSync(dir, { recursive: true, force: true });
