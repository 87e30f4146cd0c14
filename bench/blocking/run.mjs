// Blocking benchmark: one generated list of N names (default 1,000,000) loaded into horizond and
// into the peers users would pick instead, each forwarding everything else to a local NSD:
//   horizond     blocking.lists (hosts format), answer zero
//   Unbound      local-zone: "name." always_null
//   dnsmasq      address=/name/0.0.0.0
//   BIND         a response-policy zone (name CNAME . and *.name CNAME .)
//   Knot Res.    policy.rpz(policy.DENY, <the same RPZ file>)
// Per server: load time (process start to the first blocked answer), RSS once loaded and the
// cache warmed, cache-hit QPS (dnsperf, 10,000 forwarded names) — and for horizond the same
// without the list, the RSS peak during a refresh, and the in-process check (micro.mjs).
//
//   node bench/blocking/run.mjs [--names N] [--seconds S] [--only horizond,unbound,...] [--keep]
//
// The machine is shared: read the load average printed with the results.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync, createWriteStream } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { FWD_ZONE, hostName, writeQueryFiles, writeZones } from '../lib/data.mjs';
import { dnsperf } from '../lib/dnsperf.mjs';
import { ask, firstA, freePort, groupCpuSeconds, rssMiB, startPinned, stop, stopAllNow, waitReady } from '../lib/proc.mjs';
import { nsdConfig } from '../lib/targets.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
const N = Number(opt('names', 1_000_000));
const SECONDS = Number(opt('seconds', 10));
const ONLY = opt('only', null)?.split(',') ?? null;
const LOAD_TIMEOUT_S = Number(opt('load-timeout', 600));
process.on('exit', stopAllNow);
process.on('SIGINT', () => process.exit(130));

/** The list: deterministic names under a few public-looking suffixes. */
function* names() {
  let x = 20261208;
  const rnd = () => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return x; };
  const tlds = ['com', 'net', 'org', 'io', 'de', 'info', 'xyz', 'co.uk'];
  for (let i = 0; i < N; i++) yield `${rnd().toString(36)}${i.toString(36)}.${(rnd() % 50000).toString(36)}-ads.${tlds[rnd() % tlds.length]}`;
}

async function writeLines(file, fn) {
  const out = createWriteStream(file);
  let buf = [];
  for (const n of names()) {
    buf.push(fn(n));
    if (buf.length === 10000) { if (!out.write(buf.join('') )) await once(out, 'drain'); buf = []; }
  }
  out.end(buf.join(''));
  await once(out, 'close');
}

const tmp = mkdtempSync(join(tmpdir(), 'hz-bench-blocking-'));
const first = names().next().value;
console.log(`blocking bench: ${N.toLocaleString('en')} names, ${SECONDS} s per QPS run, in ${tmp}`);
await writeLines(join(tmp, 'hosts.txt'), (n) => `0.0.0.0 ${n}\n`);
await writeLines(join(tmp, 'unbound.conf.list'), (n) => `local-zone: "${n}." always_null\n`);
await writeLines(join(tmp, 'dnsmasq.list'), (n) => `address=/${n}/0.0.0.0\n`);
writeFileSync(join(tmp, 'rpz.zone'), '$TTL 300\n@ SOA localhost. root.localhost. 1 3600 600 86400 300\n@ NS localhost.\n');
{
  const out = createWriteStream(join(tmp, 'rpz.zone'), { flags: 'a' });
  let buf = [];
  for (const n of names()) {
    buf.push(`${n} CNAME .\n*.${n} CNAME .\n`);
    if (buf.length === 10000) { if (!out.write(buf.join(''))) await once(out, 'drain'); buf = []; }
  }
  out.end(buf.join(''));
  await once(out, 'close');
}
const zones = writeZones(tmp);
const queries = writeQueryFiles(tmp);
const upstream = await freePort();
const nsd = startPinned(1, ['/usr/sbin/nsd', '-d', '-c', nsdConfig(tmp, upstream, FWD_ZONE, zones.fwd)], join(tmp, 'nsd.log'));
await waitReady(nsd, upstream, hostName(0, FWD_ZONE));

const bare = FWD_ZONE.replace(/\.$/, '');
const TARGETS = [
  { name: 'horizond-nolist', label: 'horizond, no list', list: false, argv: (d, p) => horizond(d, p, false) },
  { name: 'horizond', label: 'horizond', list: true, argv: (d, p) => horizond(d, p, true) },
  { name: 'unbound', label: 'Unbound (local-zone always_null)', list: true, bin: '/usr/sbin/unbound', argv: (d, p) => {
    writeFileSync(join(d, 'unbound.conf'), `server:
  interface: 127.0.0.1
  port: ${p}
  num-threads: 1
  do-ip6: no
  do-not-query-localhost: no
  chroot: ""
  username: ""
  directory: "${d}"
  pidfile: ""
  use-syslog: no
  logfile: "${d}/unbound.log"
  access-control: 127.0.0.0/8 allow
  module-config: "iterator"
  msg-cache-size: 64m
  rrset-cache-size: 64m
  include: "${join(tmp, 'unbound.conf.list')}"
forward-zone:
  name: "${FWD_ZONE}"
  forward-addr: 127.0.0.1@${upstream}
`);
    return ['/usr/sbin/unbound', '-d', '-c', join(d, 'unbound.conf')];
  } },
  { name: 'dnsmasq', label: 'dnsmasq (address=/name/0.0.0.0)', list: true, bin: '/usr/sbin/dnsmasq', argv: (d, p) => [
    '/usr/sbin/dnsmasq', '-k', '--no-resolv', '--no-hosts', '--bind-interfaces', '--listen-address=127.0.0.1', `--port=${p}`,
    `--server=/${bare}/127.0.0.1#${upstream}`, '--cache-size=20000', `--conf-file=${join(tmp, 'dnsmasq.list')}`, '--pid-file=', '--user=root', '--log-facility=-',
  ] },
  { name: 'bind', label: 'BIND (response-policy zone)', list: true, bin: '/usr/sbin/named', argv: (d, p) => {
    writeFileSync(join(d, 'named.conf'), `options {
  directory "${d}";
  pid-file none;
  listen-on port ${p} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion yes;
  allow-recursion { any; };
  dnssec-validation no;
  response-policy { zone "rpz"; };
};
zone "rpz" { type primary; file "${join(tmp, 'rpz.zone')}"; };
zone "${bare}" { type forward; forward only; forwarders { 127.0.0.1 port ${upstream}; }; };
`);
    return ['/usr/sbin/named', '-g', '-n', '1', '-c', join(d, 'named.conf')];
  } },
  { name: 'kresd', label: 'Knot Resolver (policy.rpz)', list: true, bin: '/usr/sbin/kresd', argv: (d, p) => {
    writeFileSync(join(d, 'config.lua'), `net.listen('127.0.0.1', ${p}, { kind = 'dns' })
cache.size = 64 * MB
policy.add(policy.rpz(policy.DENY, '${join(tmp, 'rpz.zone')}', false))
policy.add(policy.suffix(policy.STUB({'127.0.0.1@${upstream}'}), {todname('${FWD_ZONE}')}))
`);
    return ['/usr/sbin/kresd', '-n', '-q', '-c', join(d, 'config.lua'), d];
  } },
];

function horizond(d, p, list) {
  writeFileSync(join(d, 'horizond.yaml'), `server:
  listen: [{ address: 127.0.0.1, port: ${p}, protocols: [udp] }]
  dataDir: ${join(d, 'data')}
log: { level: info }
metrics: { enabled: false }
forward:
  upstreams: [{ address: 127.0.0.1, port: ${upstream}, protocol: udp }]
${list ? `blocking:\n  lists:\n    gen: [${join(tmp, 'hosts.txt')}]\n  maxSize: 1GiB\n` : ''}`);
  return [process.execPath, '--optimize-for-size', join(ROOT, 'dist/main.js'), '--config', join(d, 'horizond.yaml')];
}

/** Blocked: 0.0.0.0, NXDOMAIN or REFUSED-free "no data" for a listed name (peers differ). */
const isBlocked = (r) => r !== null && (firstA(r.reply) === '0.0.0.0' || r.rcode === 3 || (r.rcode === 0 && r.answers === 0));

const results = [];
for (const t of TARGETS) {
  if (ONLY && !ONLY.includes(t.name)) continue;
  if (t.bin && !existsSync(t.bin)) { results.push({ ...t, note: `${t.bin} not installed` }); continue; }
  const dir = mkdtempSync(join(tmp, `${t.name}-`));
  const port = await freePort();
  const t0 = performance.now();
  const proc = startPinned(0, t.argv(dir, port), join(dir, 'log'));
  let loadS = null;
  const deadline = Date.now() + LOAD_TIMEOUT_S * 1000;
  while (Date.now() < deadline && !proc.exited) {
    const r = await ask(port, t.list ? first : hostName(0, FWD_ZONE), { timeoutMs: 300 });
    if (r !== null && (!t.list || isBlocked(r))) { loadS = (performance.now() - t0) / 1000; break; }
    await new Promise((res) => setTimeout(res, 50));
  }
  if (loadS === null) {
    results.push({ ...t, note: proc.exited ? `exited (${proc.code}), see ${proc.log}` : `not loaded within ${LOAD_TIMEOUT_S} s` });
    await stop(proc);
    continue;
  }
  await dnsperf({ port, file: queries.hits, runs: 1, seconds: 30 }).catch(() => null); // warm the cache
  await new Promise((res) => setTimeout(res, 2000));
  const rss = rssMiB(proc.pid);
  let peak = null;
  if (t.name === 'horizond') {
    // A refresh: the list file changes, SIGHUP re-reads it; sample RSS while the set is rebuilt.
    const before = (readFileSync(join(dir, 'log'), 'utf8').match(/blocklists loaded/g) ?? []).length;
    const now = new Date();
    utimesSync(join(tmp, 'hosts.txt'), now, now);
    process.kill(proc.pid, 'SIGHUP');
    peak = rss;
    const until = Date.now() + 120_000;
    while (Date.now() < until) {
      peak = Math.max(peak, rssMiB(proc.pid) ?? 0);
      if ((readFileSync(join(dir, 'log'), 'utf8').match(/blocklists loaded/g) ?? []).length > before) break;
      await new Promise((res) => setTimeout(res, 20));
    }
  }
  // CPU time per answer barely moves when other jobs share the core; QPS does.
  const cpu0 = groupCpuSeconds(proc.pid);
  const run = await dnsperf({ port, file: queries.hits, seconds: SECONDS }).catch((e) => ({ error: e.message }));
  const cpu1 = groupCpuSeconds(proc.pid);
  const cpuUs = run.completed && cpu0 !== null && cpu1 !== null ? ((cpu1 - cpu0) / run.completed) * 1e6 : null;
  const buildMs = t.name === 'horizond' ? [...readFileSync(join(dir, 'log'), 'utf8').matchAll(/"ms":(\d+),"msg":"blocklists loaded"/g)].map((m) => Number(m[1]))[0] : null;
  results.push({ ...t, loadS, rss, peak, qps: run.qps === undefined ? null : Math.round(run.qps), cpuUs, lost: run.lost ?? null, error: run.error, buildMs });
  console.log(`${t.label}: load ${loadS.toFixed(2)} s, RSS ${rss?.toFixed(1)} MiB${peak ? `, refresh peak ${peak.toFixed(1)} MiB` : ''}, ${run.qps ?? run.error} QPS, ${cpuUs?.toFixed(1)} CPU µs/answer`);
  await stop(proc);
}
await stop(nsd);

// In-process check (no network): build the set from the same list and time the lookups.
let micro = '';
try {
  micro = execFileSync(process.execPath, ['--expose-gc', join(ROOT, 'bench/blocking/micro.mjs'), join(tmp, 'hosts.txt')], { encoding: 'utf8' });
} catch (e) { micro = `micro failed: ${e.message}`; }

const base = results.find((r) => r.name === 'horizond-nolist');
const lines = [
  `## Blocking: ${N.toLocaleString('en')} listed names`, '',
  `Load average at the end: ${loadavg().map((x) => x.toFixed(2)).join(', ')} (2 shared cores; other jobs were running).`, '',
  'RSS is the whole process once loaded and its cache warmed (the peers\' RSS without a list is a few MiB: nearly all of it is the list); horizond\'s increase is over the same daemon without the list. QPS is noisy on a shared machine; CPU µs per answer is the steadier measure.', '',
  '| Server | Load time (s) | RSS (MiB) | horizond: increase | Cache-hit QPS | CPU µs/answer | CPU vs horizond without list |',
  '|---|---|---|---|---|---|---|',
  ...results.map((r) => r.note
    ? `| ${r.label} | ${r.note} | | | | | |`
    : `| ${r.label} | ${r.list ? r.loadS.toFixed(2) : '–'} | ${r.rss?.toFixed(1)} | ${base && r.list && r.name === 'horizond' ? `+${(r.rss - base.rss).toFixed(1)}` : '–'} | ${r.qps ?? r.error} | ${r.cpuUs?.toFixed(1) ?? '–'} | ${base?.cpuUs && r.cpuUs ? `${(r.cpuUs / base.cpuUs).toFixed(2)}×` : '–'} |`),
  '',
  ...results.filter((r) => r.peak).map((r) => `horizond RSS peak during a refresh (list file changed + SIGHUP): ${r.peak.toFixed(1)} MiB (steady ${r.rss.toFixed(1)} MiB, +${(r.peak - r.rss).toFixed(1)}); set built in ${r.buildMs} ms on the worker thread.`),
  '', '```', micro.trim(), '```', '',
];
const report = lines.join('\n');
console.log(report);
if (!args.includes('--no-write')) writeFileSync(join(ROOT, 'bench/blocking/results.md'), report + '\n');
if (!args.includes('--keep')) rmSync(tmp, { recursive: true, force: true });
