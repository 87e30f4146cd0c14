#!/usr/bin/env node
// DoT and DoH end to end: dnsperf -m dot / -m doh against horizond, Unbound (tls-port,
// https-port) and dnsdist (addTLSLocal, addDOHLocal), all answering warm cache hits for the
// same 1,000 names from one upstream (an authoritative horizond on loopback).
//
//   npm run build && node bench/encrypted.mjs [--seconds 10] [--qps 2000] [--only horizond,unbound]
//
// Each target is measured at a fixed offered load (-Q) with a fixed number of TLS connections
// (-c), after a warm-up pass over UDP and one over the transport itself, so every answer is a
// cache hit and the handshakes are done. Results are appended to bench/encrypted-results.md with
// the load average (the development machines are shared: read the numbers with that in mind).
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSummary } from './lib/dnsperf.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const SECONDS = Number(opt('seconds', '10'));
const QPS = Number(opt('qps', '2000'));
const CLIENTS = Number(opt('clients', '10'));
const ONLY = opt('only', 'horizond,unbound,dnsdist').split(',');
const NAMES = 1000;

const P = { upstream: 25353, hUdp: 25354, hDot: 25853, hDoh: 25443, uUdp: 26354, uDot: 26853, uDoh: 26443, dUdp: 27354, dDot: 27853, dDoh: 27443, metrics: 29154 };
const dir = mkdtempSync(join(tmpdir(), 'horizond-bench-tls-'));
const children = [];

function sh(cmd, argv, o = {}) {
  return execFileSync(cmd, argv, { encoding: 'utf8', ...o });
}

function start(name, cmd, argv) {
  const c = spawn(cmd, argv, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  c.stderr.on('data', (d) => { err += d; });
  c.on('exit', (code) => { if (code !== null && code !== 0 && !c.stopping) console.error(`${name} exited ${code}: ${err.slice(-500)}`); });
  children.push(c);
  return c;
}

async function waitUdp(port) {
  for (let i = 0; i < 100; i++) {
    try {
      const out = sh('dig', ['@127.0.0.1', '-p', String(port), 'n1.bench.', '+short', '+time=1', '+tries=1']);
      if (out.trim() !== '') return;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`nothing answers on ${port}`);
}

function dnsperf(mode, port, extra, seconds, qps) {
  const argv = ['-s', '127.0.0.1', '-p', String(port), '-d', join(dir, 'queries.txt'), '-l', String(seconds), '-c', String(CLIENTS), '-t', '2', '-m', mode, ...extra];
  if (qps > 0) argv.push('-Q', String(qps));
  let out;
  try {
    out = sh('dnsperf', argv, { timeout: (seconds + 20) * 1000, maxBuffer: 1 << 24 });
  } catch (e) {
    out = String(e.stdout ?? '') + String(e.stderr ?? '');
  }
  return parseSummary(out);
}

// Zone, queries, certificate.
let zone = '$ORIGIN bench.\n$TTL 86400\n@ IN SOA ns hostmaster 1 3600 600 86400 300\n  IN NS ns\nns IN A 127.0.0.1\n';
let queries = '';
for (let i = 1; i <= NAMES; i++) {
  zone += `n${i} IN A 198.51.${100 + ((i >> 8) & 3)}.${i & 255}\n`;
  queries += `n${i}.bench. A\n`;
}
writeFileSync(join(dir, 'bench.zone'), zone);
writeFileSync(join(dir, 'queries.txt'), queries);
sh('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt'), '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });

writeFileSync(join(dir, 'upstream.yaml'), `server:
  listen: [{ address: 127.0.0.1, port: ${P.upstream} }]
  dataDir: ./data-up
log: { level: warn }
metrics: { enabled: false }
zones: [{ name: bench., file: bench.zone }]
`);
writeFileSync(join(dir, 'horizond.yaml'), `server:
  listen:
    - { address: 127.0.0.1, port: ${P.hUdp} }
    - { address: 127.0.0.1, port: ${P.hDot}, protocols: [tls] }
    - { address: 127.0.0.1, port: ${P.hDoh}, protocols: [https] }
  tls: { certFile: tls.crt, keyFile: tls.key }
  dataDir: ./data-h
log: { level: warn }
metrics: { enabled: false }
forward: { upstreams: [{ address: 127.0.0.1, port: ${P.upstream} }] }
`);
writeFileSync(join(dir, 'unbound.conf'), `server:
  interface: 127.0.0.1@${P.uUdp}
  interface: 127.0.0.1@${P.uDot}
  interface: 127.0.0.1@${P.uDoh}
  tls-port: ${P.uDot}
  https-port: ${P.uDoh}
  tls-service-key: "${join(dir, 'tls.key')}"
  tls-service-pem: "${join(dir, 'tls.crt')}"
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  username: ""
  chroot: ""
  directory: "${dir}"
  pidfile: "${join(dir, 'unbound.pid')}"
  use-syslog: no
  logfile: ""
  verbosity: 0
  num-threads: 1
  module-config: "iterator"
  http-notls-downstream: no
forward-zone:
  name: "."
  forward-addr: 127.0.0.1@${P.upstream}
remote-control:
  control-enable: no
`);
writeFileSync(join(dir, 'dnsdist.conf'), `setLocal("127.0.0.1:${P.dUdp}")
addTLSLocal("127.0.0.1:${P.dDot}", "${join(dir, 'tls.crt')}", "${join(dir, 'tls.key')}")
addDOHLocal("127.0.0.1:${P.dDoh}", "${join(dir, 'tls.crt')}", "${join(dir, 'tls.key')}", "/dns-query")
newServer({address="127.0.0.1:${P.upstream}"})
pc = newPacketCache(100000, {})
getPool(""):setCache(pc)
setACL({"127.0.0.0/8"})
`);

const node = process.execPath;
const main = join(ROOT, 'dist', 'main.js');
const rows = [];
const load0 = loadavg();
try {
  start('upstream', node, ['--optimize-for-size', main, '--config', join(dir, 'upstream.yaml')]);
  await waitUdp(P.upstream);
  const targets = {
    horizond: { udp: P.hUdp, dot: P.hDot, doh: P.hDoh, start: () => start('horizond', node, ['--optimize-for-size', main, '--config', join(dir, 'horizond.yaml')]) },
    unbound: { udp: P.uUdp, dot: P.uDot, doh: P.uDoh, start: () => start('unbound', 'unbound', ['-d', '-c', join(dir, 'unbound.conf')]) },
    dnsdist: { udp: P.dUdp, dot: P.dDot, doh: P.dDoh, start: () => start('dnsdist', 'dnsdist', ['--supervised', '--disable-syslog', '-C', join(dir, 'dnsdist.conf')]) },
  };
  for (const name of ONLY) {
    const tg = targets[name];
    if (tg === undefined) throw new Error(`unknown target ${name}`);
    const proc = tg.start();
    await waitUdp(tg.udp);
    dnsperf('udp', tg.udp, [], 3, 0); // warm the cache
    for (const [mode, port, extra] of [
      ['dot', tg.dot, []],
      ['doh', tg.doh, ['-O', `doh-uri=https://127.0.0.1:${tg.doh}/dns-query`, '-O', 'doh-method=POST']],
      ['doh', tg.doh, ['-O', `doh-uri=https://127.0.0.1:${tg.doh}/dns-query`, '-O', 'doh-method=GET']],
    ]) {
      dnsperf(mode, port, extra, 2, QPS); // handshakes and warm-up over the transport
      const r = dnsperf(mode, port, extra, SECONDS, QPS);
      const method = extra.find((e) => e.startsWith('doh-method='))?.slice(11) ?? '';
      rows.push({ target: name, mode: mode + (method ? ` ${method}` : ''), ...r });
      console.log(`${name} ${mode} ${method}: ${r.qps} qps, avg ${r.avgMs?.toFixed(2)} ms, lost ${r.lost}`);
    }
    proc.stopping = true;
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
  }
} finally {
  for (const c of children) { c.stopping = true; if (c.exitCode === null) c.kill('SIGTERM'); }
  await new Promise((r) => setTimeout(r, 500));
  rmSync(dir, { recursive: true, force: true });
}
const load1 = loadavg();
const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
let md = `\n### ${when} UTC: DoT/DoH warm cache hits, ${QPS} QPS offered, ${CLIENTS} connections, ${SECONDS} s (load average ${load0[0].toFixed(1)} before, ${load1[0].toFixed(1)} after)\n\n`;
md += '| target | transport | QPS | avg latency ms | max ms | lost |\n|---|---|---:|---:|---:|---:|\n';
for (const r of rows) md += `| ${r.target} | ${r.mode} | ${r.qps?.toFixed(0) ?? '–'} | ${r.avgMs?.toFixed(2) ?? '–'} | ${r.maxMs?.toFixed(1) ?? '–'} | ${r.lost ?? '–'} |\n`;
appendFileSync(join(ROOT, 'bench', 'encrypted-results.md'), md);
console.log(md);
