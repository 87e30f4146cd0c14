// Turns the raw runs of a benchmark into medians, ratios and the markdown appended to
// bench/results.md. Pure functions of the results object, so they can be tested without a run.
import { SCENARIOS, LATENCY_QPS } from './session.mjs';

/** Median of the numbers in `values` (mean of the middle two for an even count); null if none. */
export function median(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/**
 * Medians per target and scenario from `results.runs` (a list of { target, round, session }).
 * Returns { [target]: { rssIdle, rssFilled, cachedAnswers, [scenario]: { qps, qpsMin, qpsMax,
 * lost, avgMs, p99Ms, maxMs, latLost, n, error } } }; `error` is set when no run was valid.
 */
export function aggregate(results) {
  const out = {};
  for (const name of results.targets) {
    const sessions = results.runs.filter((r) => r.target === name).map((r) => r.session);
    // The filled RSS comes from the session that asked the most distinct names (the topped-up one).
    const fullest = sessions.filter((s) => s.rssFilled != null).sort((a, b) => b.cachedAnswers - a.cachedAnswers)[0];
    const t = {
      rssIdle: median(sessions.map((s) => s.rssIdle)),
      rssFilled: fullest?.rssFilled ?? null,
      cachedAnswers: fullest?.cachedAnswers ?? null,
      error: sessions.find((s) => s.error)?.error ?? null,
    };
    for (const sc of SCENARIOS) {
      const runs = sessions.map((s) => s.scenarios[sc.id]).filter(Boolean);
      if (runs.length === 0) continue;
      const ok = runs.filter((r) => r.tp && !r.tp.error);
      const firstError = runs.map((r) => r.error ?? r.tp?.error).find(Boolean) ?? null;
      if (ok.length === 0) {
        t[sc.id] = { error: firstError ?? 'no valid run' };
        continue;
      }
      const qps = ok.map((r) => r.tp.qps);
      const lat = ok.map((r) => r.lat).filter((l) => l && !l.error);
      t[sc.id] = {
        n: ok.length, qps: median(qps), qpsMin: Math.min(...qps), qpsMax: Math.max(...qps),
        cpuUs: median(ok.map((r) => r.tp.cpuUs)),
        userUs: median(ok.map((r) => r.tp.userUs).filter((x) => x != null)), sysUs: median(ok.map((r) => r.tp.sysUs).filter((x) => x != null)),
        lost: median(ok.map((r) => r.tp.lost)), sent: median(ok.map((r) => r.tp.sent)),
        avgMs: median(lat.map((l) => l.avgMs)), p99Ms: median(lat.map((l) => l.p99Ms)),
        p999Ms: median(lat.map((l) => l.p999Ms).filter((x) => x != null)),
        gc: lat.some((l) => l.gc) ? { markCompacts: Math.max(...lat.map((l) => l.gc?.markCompacts ?? 0)), maxMs: Math.max(...lat.map((l) => l.gc?.maxMarkCompactMs ?? 0)) } : null,
        maxMs: median(lat.map((l) => l.maxMs)), latLost: median(lat.map((l) => l.lost)),
        error: ok.length < runs.length ? `${runs.length - ok.length} invalid run(s): ${firstError}` : null,
      };
    }
    out[name] = t;
  }
  return out;
}

/**
 * The ceiling a scenario is compared with (the TCP ceiling for TCP, the UDP one otherwise): its
 * median QPS, or with `field` = 'cpuUs' its CPU µs per answer.
 */
export function ceilingFor(agg, scenarioId, field = 'qps') {
  return agg.ceiling?.[scenarioId === 'tcp' ? 'tcp' : 'hits']?.[field] ?? null;
}

const fmtK = (q) => (q == null ? '–' : `${(q / 1000).toFixed(1)}k`);
const fmtX = (x) => (x == null || !Number.isFinite(x) ? '–' : `${x.toFixed(2)}×`);
const fmtMs = (x) => (x == null ? '–' : x.toFixed(3));
const fmtMiB = (x) => (x == null ? '–' : x.toFixed(0));
const fmtUs = (x) => (x == null ? '–' : x.toFixed(1));
const fmtUs2 = (x) => (x == null || Number.isNaN(x) ? '–' : x.toFixed(2));
const ratio = (a, b) => (a == null || b == null || b === 0 ? null : a / b);

/** The markdown section for one run: header, throughput, latency, memory, issue targets. */
export function markdown(results) {
  const agg = aggregate(results);
  const label = (n) => results.labels[n] ?? n;
  const loads = results.runs.flatMap((r) => Object.values(r.session.scenarios).flatMap((s) => [s.tp?.load, s.lat?.load]));
  const L = [];
  L.push(`## ${results.date} — ${results.mode} run (${results.rounds} round${results.rounds > 1 ? 's' : ''})`, '');
  L.push(`- Machine: ${results.machine}.`);
  L.push(`- Load average (1 min) at measurement start: min ${fmtNum(Math.min(...loads.filter(Number.isFinite)))}, median ${fmtNum(median(loads))}, max ${fmtNum(Math.max(...loads.filter(Number.isFinite)))} on ${results.cores} cores. ${median(loads) > 1.5 ? '**Other jobs shared the machine: absolute numbers are noisy; compare ratios.**' : ''}`);
  L.push(`- Versions: ${Object.entries(results.versions).map(([k, v]) => `${label(k)} ${v}`).join(', ')}.`);
  L.push(`- Method: server on core 0, dnsperf on core 1 (\`-c 1 -T 1 -q 100\`, ${results.durations.seconds} s per throughput run, ${results.durations.latencySeconds} s at \`-Q ${LATENCY_QPS}\` for latency, cold: ${results.durations.coldNames.toLocaleString('en')} unique names, at most ${results.durations.coldSeconds} s${results.durations.fillSeconds > 0 ? `, topped up to all of them in the last round (at most ${results.durations.fillSeconds} s) before the RSS reading` : ''}), targets round-robin, median of ${results.rounds}.`);
  if (results.skipped.length) L.push(`- Not measured: ${results.skipped.map((s) => `${s.name} (${s.why})`).join('; ')}.`);
  L.push('', '### Throughput', '');
  L.push('QPS is what dnsperf measured; CPU µs is the server\'s own CPU time (user + system, all its threads, from /proc/<pid>/stat) per answer during the same run, so 1,000,000 ÷ µs is what one core would carry with nothing else on it; it is split into user and kernel time (the kernel part is mostly the loopback UDP path every server pays). On a shared machine the CPU columns are the steadier comparison.', '');
  L.push('| scenario | target | QPS (median) | range | × ceiling | horizond ÷ target | CPU µs/answer | user µs | kernel µs | × ceiling by CPU | horizond ÷ target by CPU | lost | note |', '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const sc of SCENARIOS) {
    const h = agg.horizond?.[sc.id];
    const ceiling = ceilingFor(agg, sc.id);
    const ceilingCpu = ceilingFor(agg, sc.id, 'cpuUs');
    for (const name of results.targets) {
      const r = agg[name]?.[sc.id];
      if (!r) continue;
      const range = r.qps == null ? '–' : `${fmtK(r.qpsMin)}–${fmtK(r.qpsMax)}`;
      const lost = r.qps == null ? '–' : `${Math.round(r.lost)} of ${Math.round(r.sent)}`;
      const vsH = name === 'horizond' ? ['', ''] : [fmtX(ratio(h?.qps, r.qps)), fmtX(ratio(r.cpuUs, h?.cpuUs))];
      L.push(`| ${sc.title} | ${label(name)} | ${fmtK(r.qps)} | ${range} | ${fmtX(ratio(r.qps, ceiling))} | ${vsH[0]} | ${fmtUs(r.cpuUs)} | ${fmtUs2(r.userUs)} | ${fmtUs2(r.sysUs)} | ${fmtX(ratio(ceilingCpu, r.cpuUs))} | ${vsH[1]} | ${lost} | ${r.error ?? ''} |`);
    }
    if (sc.id === 'hits' && results.workers2) L.push(`| ${sc.title} | horizond, 2 workers | – | – | – | – | – | – | – | – | – | – | ${results.workers2} |`);
  }
  L.push('', `### Latency at ${LATENCY_QPS.toLocaleString('en')} QPS`, '', '| scenario | target | avg ms | p99 ms | p99.9 ms | max ms | lost | avg ÷ Unbound avg | p99 ÷ Unbound p99 | full GCs, longest ms |', '|---|---|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const sc of SCENARIOS.filter((s) => s.latency)) {
    const unbound = agg.unbound?.[sc.id]?.avgMs;
    const unbound99 = agg.unbound?.[sc.id]?.p99Ms;
    for (const name of results.targets) {
      const r = agg[name]?.[sc.id];
      if (!r || r.avgMs == null) continue;
      const gc = r.gc ? `${r.gc.markCompacts}, ${r.gc.maxMs.toFixed(1)}` : '';
      L.push(`| ${sc.title} | ${label(name)} | ${fmtMs(r.avgMs)} | ${fmtMs(r.p99Ms)} | ${fmtMs(r.p999Ms)} | ${fmtMs(r.maxMs)} | ${r.latLost} | ${fmtX(ratio(r.avgMs, unbound))} | ${fmtX(ratio(r.p99Ms, unbound99))} | ${gc} |`);
    }
  }
  L.push('', '### Memory (VmRSS)', '', '| target | idle MiB | after the cold run MiB | distinct names asked |', '|---|---:|---:|---:|');
  for (const name of results.targets) {
    const t = agg[name];
    if (t && (t.rssIdle != null || t.rssFilled != null)) L.push(`| ${label(name)} | ${fmtMiB(t.rssIdle)} | ${fmtMiB(t.rssFilled)} | ${t.cachedAnswers?.toLocaleString('en') ?? '–'} |`);
  }
  L.push('', '### Targets of issue 5', '', '| target | wanted | measured | by CPU time | met |', '|---|---|---|---|---|');
  for (const row of issueTargets(agg, results)) L.push(`| ${row.join(' | ')} |`);
  return L.join('\n') + '\n';
}

const fmtNum = (x) => (x == null || !Number.isFinite(x) ? '–' : x.toFixed(2));

function verdict(value, ok) {
  return value == null ? 'not measured' : ok ? 'yes' : 'no';
}

/** "yes"/"no" when both measures agree, else which one passes. */
function verdict2(byQps, byCpu, ok) {
  const a = verdict(byQps, ok(byQps));
  const b = verdict(byCpu, ok(byCpu));
  if (a === b || b === 'not measured') return a;
  if (a === 'not measured') return `${b} (by CPU)`;
  return `${a} by QPS, ${b} by CPU`;
}

/** 2 workers against 1 on the same machine: QPS and CPU per answer, for cache hits and authoritative answers. */
function workersRow(agg, results) {
  const one = agg.horizond ?? {};
  const two = agg['horizond-2w'] ?? {};
  if (results.workers2 || two.hits?.qps == null) return ['2 workers vs 1', 'measured', results.workers2 ?? 'not measured', '', 'no'];
  const part = (id) => `${SCENARIO_NAMES[id]} ${fmtX(ratio(two[id]?.qps, one[id]?.qps))}`;
  const cpu = (id) => `${SCENARIO_NAMES[id]} ${fmtX(ratio(one[id]?.cpuUs, two[id]?.cpuUs))}`;
  return ['2 workers vs 1 (QPS; CPU per answer)', 'measured', `${part('hits')}, ${part('auth')}`, `${cpu('hits')}, ${cpu('auth')}`, 'measured'];
}

const SCENARIO_NAMES = { hits: 'cache hits', auth: 'authoritative' };

/** Rows [what, wanted, measured, by CPU time, met] for the ratios issue 5 asks for. */
export function issueTargets(agg, results) {
  const h = agg.horizond ?? {};
  const atLeast = (min) => (x) => x >= min;
  const ratioRow = (what, min, q, c) => [what, `≥ ${min}×`, fmtX(q), fmtX(c), verdict2(q, c, atLeast(min))];
  const lat = ratio(h.hits?.avgMs, agg.unbound?.hits?.avgMs);
  return [
    ratioRow('cache hits vs ceiling', 0.85, ratio(h.hits?.qps, ceilingFor(agg, 'hits')), ratio(ceilingFor(agg, 'hits', 'cpuUs'), h.hits?.cpuUs)),
    ratioRow('authoritative vs ceiling', 0.85, ratio(h.auth?.qps, ceilingFor(agg, 'auth')), ratio(ceilingFor(agg, 'auth', 'cpuUs'), h.auth?.cpuUs)),
    ratioRow('translated vs untranslated hits', 0.95, ratio(h.view?.qps, h.hits?.qps), ratio(h.hits?.cpuUs, h.view?.cpuUs)),
    [`avg latency at ${LATENCY_QPS / 1000}k vs Unbound`, '≤ 1.2×', fmtX(lat), '', verdict(lat, lat <= 1.2)],
    ['RSS after the cold run (≥ 100,000 answers)', '≤ 150 MiB', `${fmtMiB(h.rssFilled)} MiB (${h.cachedAnswers?.toLocaleString('en') ?? '–'} names asked)`, '', verdict(h.rssFilled, h.rssFilled <= 150 && h.cachedAnswers >= 100_000)],
    ['idle RSS', '≤ 80 MiB', `${fmtMiB(h.rssIdle)} MiB`, '', verdict(h.rssIdle, h.rssIdle <= 80)],
    workersRow(agg, results),
  ];
}
