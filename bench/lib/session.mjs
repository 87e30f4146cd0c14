// One session: start a target on the server core, check that it answers correctly, warm its
// cache, run each scenario it serves, read its RSS, stop it. Every measurement records the
// load average when it started, because the machine is shared.
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { AUTH_ZONE, FWD_ZONE, hostName, missingName, writeColdQueries } from './data.mjs';
import { dnsperf } from './dnsperf.mjs';
import { ask, firstA, freePort, groupCpuTimes, rssMiB, startPinned, stop, waitReady } from './proc.mjs';
import { VIEW_CLIENT } from './targets.mjs';

/** The core the server under test is pinned to. */
export const SERVER_CORE = 0;
/** Wait after the first answer before reading the idle RSS. */
const IDLE_SETTLE_MS = 500;
/** The fixed load of the latency runs. */
export const LATENCY_QPS = 20_000;

/**
 * The scenarios, in the order a session runs them (cold last: it fills the cache for the RSS
 * reading). `probe` is one query whose answer must be right before the scenario is measured.
 */
export const SCENARIOS = [
  { id: 'hits', title: '1. cache hits', file: 'hits', latency: true, probe: { name: hostName(1, FWD_ZONE), a: '198.18.0.1' } },
  { id: 'nx', title: '2. 10% NXDOMAIN mix', file: 'mix', nx: true, probe: { name: missingName(1), rcode: 3 } },
  { id: 'auth', title: '3. authoritative, 10,000 names', file: 'auth', latency: true, probe: { name: hostName(1, AUTH_ZONE), a: '198.18.0.1' } },
  { id: 'view', title: '4. cache hits, translating view', file: 'hits', source: VIEW_CLIENT, latency: true, probe: { name: hostName(1, FWD_ZONE), a: '10.18.0.1' } },
  { id: 'cold', title: '5. cold cache, unique names', cold: true, probe: { name: `probe.cold.${FWD_ZONE}`, a: '198.18.255.1' } },
  { id: 'tcp', title: '6. TCP, pipelined', file: 'hits', tcp: true, probe: { name: hostName(1, FWD_ZONE), a: '198.18.0.1' } },
];
const RUN_ORDER = ['hits', 'nx', 'auth', 'view', 'tcp', 'cold'];

async function checkProbe(port, probe, source) {
  const r = await ask(port, probe.name, { timeoutMs: 2000, source });
  if (r === null) return `no answer to ${probe.name}`;
  if (probe.rcode !== undefined) return r.rcode === probe.rcode ? null : `rcode ${r.rcode} for ${probe.name} (want ${probe.rcode})`;
  const a = r.rcode === 0 ? firstA(r.reply) : null;
  return a === probe.a ? null : `${probe.name} gave rcode ${r.rcode}, A ${a} (want ${probe.a})`;
}

/** Null when the response codes are what the scenario's queries should get, else why not. */
export function checkRcodes(scenario, run) {
  const done = run.completed || 0;
  if (done === 0) return 'no query completed';
  const noerror = run.rcodes.NOERROR ?? 0;
  const nx = run.rcodes.NXDOMAIN ?? 0;
  const other = Object.entries(run.rcodes).filter(([k]) => k !== 'NOERROR' && (k !== 'NXDOMAIN' || !scenario.nx));
  const wrong = other.reduce((n, [, v]) => n + v, 0);
  if (wrong / done > 0.01) return other.map(([k, v]) => `${k} ${((100 * v) / done).toFixed(0)}%`).join(', ');
  if (scenario.nx && (nx / done < 0.05 || nx / done > 0.15)) return `NXDOMAIN ${((100 * nx) / done).toFixed(0)}% (want 10%)`;
  return noerror + nx > 0 ? null : 'no answers';
}

function summarize(run, scenario) {
  return {
    qps: run.qps, cpuUs: run.cpuUs, userUs: run.userUs, sysUs: run.sysUs, avgMs: run.avgMs, p99Ms: run.p99Ms, p999Ms: run.p999Ms, maxMs: run.maxMs,
    sent: run.sent, completed: run.completed, lost: run.lost, rcodes: run.rcodes, load: run.load,
    error: checkRcodes(scenario, run),
  };
}

/** One dnsperf run against `proc`, with the load average and the server's CPU µs per answer. */
async function measure(proc, log, opts) {
  const load = loadavg()[0];
  const cpu0 = groupCpuTimes(proc.pid);
  const run = await dnsperf(opts);
  const cpu1 = groupCpuTimes(proc.pid);
  const per = (k) => (cpu0 !== null && cpu1 !== null && run.completed > 0 ? ((cpu1[k] - cpu0[k]) * 1e6) / run.completed : null);
  const userUs = per('user');
  const sysUs = per('system');
  const cpuUs = userUs === null || sysUs === null ? null : userUs + sysUs;
  log.push(`load ${load.toFixed(2)}, server CPU ${cpuUs?.toFixed(1) ?? '?'} µs/answer (user ${userUs?.toFixed(2) ?? '?'}, kernel ${sysUs?.toFixed(2) ?? '?'})\n${run.text}`);
  return { ...run, load, cpuUs, userUs, sysUs };
}

/**
 * Runs `target` through its scenarios once. `env` = { root, tmp, files, zones, upstream, round,
 * warmNames, durations: { seconds, latencySeconds, coldSeconds, coldNames }, fillSeconds (0: no top-up
 * after the cold run), scenarios? (ids to run), profileDir? }.
 * Returns { rssIdle, rssFilled, cachedAnswers, scenarios: { id: { tp, lat } | { error } }, log }.
 */
export async function runSession(target, env) {
  const dir = join(env.tmp, `${target.name}-r${env.round}`);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const argv = target.setup({ dir, port, upstream: env.upstream, zones: env.zones, root: env.root, metricsPort: await freePort() });
  // Node targets are profiled into a folder of their own (the flags go right after `node`).
  if (env.profileDir && argv[0] === process.execPath) argv.splice(1, 0, '--cpu-prof', `--cpu-prof-dir=${join(env.profileDir, target.name)}`);
  // --trace-gc: V8 writes one line per GC to the server log; the latency runs count theirs.
  const traceGc = env.traceGc && argv[0] === process.execPath && target.name.startsWith('horizond');
  if (traceGc) argv.splice(1, 0, '--trace-gc');
  const logFile = join(dir, 'server.log');
  const proc = startPinned(target.cores ?? SERVER_CORE, argv, logFile);
  const out = { rssIdle: null, rssFilled: null, cachedAnswers: null, scenarios: {}, log: [] };
  const serves = (id) => target.serves.includes(id) && (!env.scenarios || env.scenarios.includes(id));
  try {
    await waitReady(proc, port, target.serves.includes('hits') ? hostName(0, FWD_ZONE) : hostName(0, AUTH_ZONE));
    await new Promise((resolve) => setTimeout(resolve, IDLE_SETTLE_MS));
    out.rssIdle = rssMiB(proc.pid);
    const { seconds, latencySeconds, coldSeconds, coldNames } = env.durations;
    const base = { port };
    // Warm: every name once, through each path a scenario takes.
    const warmed = new Set();
    for (const id of RUN_ORDER) {
      const s = SCENARIOS.find((x) => x.id === id);
      if (!serves(id) || s.cold || s.tcp) continue;
      const key = `${s.file}:${s.source ?? ''}`;
      if (warmed.has(key)) continue;
      warmed.add(key);
      // Several workers each keep their own cache: ask every name often enough that each worker
      // has seen it (the kernel hands each datagram to whichever worker is waiting).
      await measure(proc, out.log, { ...base, file: env.files[s.file], runs: target.warmRuns ?? 1, seconds: 60, source: s.source });
    }
    for (const id of RUN_ORDER) {
      if (!serves(id)) continue;
      const s = SCENARIOS.find((x) => x.id === id);
      const wrong = await checkProbe(port, s.probe, s.source);
      if (wrong !== null) {
        out.scenarios[id] = { error: wrong };
        continue;
      }
      if (s.cold) {
        const file = writeColdQueries(join(dir, 'cold.txt'), `${target.name}${env.round}`, coldNames);
        const tp = summarize(await measure(proc, out.log, { ...base, file, runs: 1, seconds: coldSeconds }), s);
        out.scenarios[id] = { tp };
        let asked = tp.completed ?? 0;
        if (env.fillSeconds > 0 && asked < coldNames) {
          // Top up to every cold name once (the ones already asked are hits now), for the RSS reading.
          const fill = await measure(proc, out.log, { ...base, file, runs: 1, seconds: env.fillSeconds });
          asked = Math.max(asked, fill.completed ?? 0);
        }
        out.cachedAnswers = asked + env.warmNames;
        out.rssFilled = rssMiB(proc.pid);
        continue;
      }
      const run = { ...base, file: env.files[s.file], source: s.source, tcp: s.tcp };
      const tp = summarize(await measure(proc, out.log, { ...run, seconds }), s);
      const from = traceGc ? statSync(logFile).size : 0;
      const lat = s.latency
        ? summarize(await measure(proc, out.log, { ...run, seconds: latencySeconds, qps: LATENCY_QPS, verbose: true }), s)
        : null;
      if (lat && traceGc) lat.gc = gcLines(readFileSync(logFile).subarray(from).toString('utf8'));
      out.scenarios[id] = { tp, lat };
    }
  } catch (err) {
    out.error = err.message;
  } finally {
    await stop(proc);
  }
  return out;
}

/**
 * What V8's --trace-gc lines say about one run: full GCs (Mark-Compact) and scavenges, and the
 * longest pause of each kind in ms. (The trace does not say which full GCs the memory reducer
 * started: with --optimize-for-size every one is marked "(reduce)".)
 */
export function gcLines(text) {
  const out = { markCompacts: 0, maxMarkCompactMs: 0, scavenges: 0, maxScavengeMs: 0 };
  for (const line of text.split('\n')) {
    const m = /(Mark-Compact|Scavenge)[^,]*MB, ([\d.]+) \/ ([\d.]+) ms/.exec(line);
    if (!m) continue;
    const ms = Number(m[2]);
    if (m[1] === 'Scavenge') {
      out.scavenges++;
      out.maxScavengeMs = Math.max(out.maxScavengeMs, ms);
    } else {
      out.markCompacts++;
      out.maxMarkCompactMs = Math.max(out.maxMarkCompactMs, ms);
    }
  }
  return out;
}
