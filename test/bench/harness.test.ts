// Sanity checks of the benchmark harness (bench/): the pieces that turn dnsperf output into the
// results table, the synthetic zone, and the ceiling responder. No timing is asserted.
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import dnsPacket from 'dns-packet';
import { dig } from '../helpers/dig.js';
// @ts-ignore: plain ES modules without type declarations
import { parseSummary, quantile } from '../../bench/lib/dnsperf.mjs';
// @ts-ignore
import { markdown, median, aggregate } from '../../bench/lib/report.mjs';
// @ts-ignore
import { checkRcodes, SCENARIOS } from '../../bench/lib/session.mjs';
// @ts-ignore
import { zoneText, writeZones, writeQueryFiles, NAMES } from '../../bench/lib/data.mjs';
// @ts-ignore
import { firstA, freePort, queryPacket } from '../../bench/lib/proc.mjs';
// @ts-ignore
import { chart } from '../../bench/chart.mjs';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

const DNSPERF_OUTPUT = `DNS Performance Testing Tool
Version 2.10.0

Statistics:

  Queries sent:         135697
  Queries completed:    135690 (99.99%)
  Queries lost:         7 (0.01%)

  Response codes:       NOERROR 122121 (90.00%), NXDOMAIN 13569 (10.00%)
  Average packet size:  request 27, response 43
  Run time (s):         3.004808
  Queries per second:   45159.956976

  Average Latency (s):  0.001975 (min 0.000162, max 0.044405)
  Latency StdDev (s):   0.001507
`;

t.test('dnsperf summary is read field by field', async (t) => {
  const s = parseSummary(DNSPERF_OUTPUT);
  t.equal(s.sent, 135697);
  t.equal(s.completed, 135690);
  t.equal(s.lost, 7);
  t.equal(s.qps, 45159.956976);
  t.same(s.rcodes, { NOERROR: 122121, NXDOMAIN: 13569 });
  t.equal(Math.round(s.avgMs * 1000), 1975);
  t.equal(Math.round(s.maxMs * 1000), 44405);
  t.equal(parseSummary('no statistics here').qps, null);
});

t.test('quantiles and medians are numeric, not lexical', async (t) => {
  t.equal(quantile([100, 9, 20, 3], 0.5), 9);
  t.equal(quantile([100, 9, 20, 3], 0.99), 100);
  t.equal(quantile([], 0.99), null);
  t.equal(median([10, 9, 100]), 10);
  t.equal(median([1, 2, 3, 4]), 2.5);
  t.equal(median([null, 5]), 5);
});

t.test('response codes decide whether a run counts', async (t) => {
  const hits = SCENARIOS.find((s: { id: string }) => s.id === 'hits');
  const nx = SCENARIOS.find((s: { id: string }) => s.id === 'nx');
  t.equal(checkRcodes(hits, { completed: 100, rcodes: { NOERROR: 100 } }), null);
  t.match(checkRcodes(hits, { completed: 100, rcodes: { REFUSED: 100 } }), /REFUSED 100%/);
  t.match(checkRcodes(hits, { completed: 100, rcodes: { NOERROR: 90, NXDOMAIN: 10 } }), /NXDOMAIN 10%/);
  t.equal(checkRcodes(nx, { completed: 100, rcodes: { NOERROR: 90, NXDOMAIN: 10 } }), null);
  t.match(checkRcodes(nx, { completed: 100, rcodes: { NOERROR: 100 } }), /want 10%/);
  t.equal(checkRcodes(hits, { completed: 0, rcodes: {} }), 'no query completed');
});

t.test('the synthetic zones load in named-checkzone and the query files match them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const zones = writeZones(dir);
  const { stdout } = await run('named-checkzone', ['fwd.bench.', zones.fwd]);
  t.match(stdout, /loaded serial 1/);
  await run('named-checkzone', ['auth.bench.', zones.auth]);
  t.equal(zoneText('auth.bench.').split('\n').filter((l: string) => /^n\d{5} IN A /.test(l)).length, NAMES);
  const files = writeQueryFiles(dir);
  const mix = readFileSync(files.mix, 'utf8').trim().split('\n');
  t.equal(mix.length, NAMES);
  t.equal(mix.filter((l: string) => l.startsWith('x')).length, NAMES / 10, 'one query in ten asks for a missing name');
});

t.test('the ceiling answers every question with one A record over UDP and TCP', async (t) => {
  const port = await freePort();
  const child = spawn(process.execPath, [join(root, 'bench/ceiling.mjs'), '--port', String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => { child.kill(); });
  await new Promise((resolve) => child.stdout.once('data', resolve));
  for (const args of [[], ['+tcp']]) {
    const r = await dig('127.0.0.1', port, 'anything.example.', 'A', args);
    t.equal(r.status, 'NOERROR');
    t.equal(r.answer.length, 1);
    t.match(r.answer[0], /^anything\.example\. 3600 IN A 198\.18\.0\.1$/);
  }
});

t.test('firstA reads the address of the first A record', async (t) => {
  const reply = dnsPacket.encode({
    type: 'response', id: 1, flags: 0, questions: [{ type: 'A', name: 'x.test' }],
    answers: [{ type: 'CNAME', name: 'x.test', data: 'y.test' }, { type: 'A', name: 'y.test', data: '10.18.0.1' }],
  });
  t.equal(firstA(reply), '10.18.0.1');
  t.equal(firstA(queryPacket('x.test.')), null);
  t.same(dnsPacket.decode(queryPacket('x.test.')).questions, [{ name: 'x.test', type: 'A', class: 'IN' }]);
});

function fakeResults() {
  const tp = (qps: number, extra = {}) => ({ qps, cpuUs: 1e6 / qps / 2, userUs: (0.3 * 1e6) / qps / 2, sysUs: (0.7 * 1e6) / qps / 2, avgMs: null, p99Ms: null, maxMs: null, sent: qps * 4, completed: qps * 4, lost: 0, rcodes: { NOERROR: qps * 4 }, load: 1.2, error: null, ...extra });
  const lat = (avgMs: number) => ({ ...tp(20000), avgMs, p99Ms: avgMs * 3, maxMs: avgMs * 10 });
  const session = (hits: number, auth: number, avgMs: number, rss: number) => ({
    rssIdle: rss, rssFilled: rss * 2, cachedAnswers: 111000,
    scenarios: { hits: { tp: tp(hits), lat: lat(avgMs) }, auth: { tp: tp(auth), lat: lat(avgMs) }, view: { error: 'gave rcode 0, A 198.18.0.1 (want 10.18.0.1)' } },
  });
  return {
    date: '2026-01-01T00:00:00Z', mode: 'quick', rounds: 2, machine: 'test machine', cores: 2,
    durations: { seconds: 3, latencySeconds: 2, coldSeconds: 2, coldNames: 100000, fillSeconds: 0 },
    versions: { unbound: '1.17.1' }, labels: { ceiling: 'ceiling', horizond: 'horizond', unbound: 'Unbound' },
    targets: ['ceiling', 'horizond', 'unbound'], skipped: [{ name: 'dnsmasq', why: 'not installed' }],
    workers2: 'not implemented',
    runs: [
      { target: 'ceiling', round: 0, session: { rssIdle: 40, scenarios: { hits: { tp: tp(100000), lat: lat(0.2) } } } },
      { target: 'ceiling', round: 1, session: { rssIdle: 40, scenarios: { hits: { tp: tp(120000), lat: lat(0.2) } } } },
      { target: 'horizond', round: 0, session: session(80000, 90000, 0.3, 60) },
      { target: 'horizond', round: 1, session: session(90000, 100000, 0.3, 60) },
      { target: 'unbound', round: 0, session: session(200000, 150000, 0.2, 20) },
      { target: 'unbound', round: 1, session: session(200000, 150000, 0.2, 20) },
    ],
  };
}

t.test('the results table holds medians and ratios from one run', async (t) => {
  const results = fakeResults();
  const agg = aggregate(results);
  t.equal(agg.horizond.hits.qps, 85000);
  t.equal(agg.ceiling.hits.qps, 110000);
  t.match(agg.horizond.view.error, /want 10\.18\.0\.1/);
  const md = markdown(results);
  // QPS, range, × ceiling, then CPU µs per answer (median of 6.25 and 5.56) and the ratios by
  // CPU (ceiling 4.58 µs / 5.90 µs).
  t.match(md, /\| 1\. cache hits \| horizond \| 85\.0k \| 80\.0k–90\.0k \| 0\.77× \|  \| 5\.9 \| 1\.77 \| 4\.13 \| 0\.78× \|  \| 0 of 340000 \|/);
  t.match(md, /\| 1\. cache hits \| Unbound \| 200\.0k \| 200\.0k–200\.0k \| 1\.82× \| 0\.42× \| 2\.5 \| 0\.75 \| 1\.75 \| 1\.83× \| 0\.42× \|/);
  t.match(md, /horizond, 2 workers .* not implemented/);
  t.match(md, /Not measured: dnsmasq \(not installed\)/);
  t.match(md, /\| authoritative vs ceiling \| ≥ 0\.85× \| 0\.86× \| 0\.87× \| yes \|/);
  t.match(md, /\| cache hits vs ceiling \| ≥ 0\.85× \| 0\.77× \| 0\.78× \| no \|/);
  t.match(md, /\| avg latency at 20k vs Unbound \| ≤ 1\.2× \| 1\.50× \|  \| no \|/);
  t.match(md, /\| translated vs untranslated hits \| ≥ 0\.95× \| – \| – \| not measured \|/);
});

t.test('the chart is an SVG with a bar per measured target and scenario', async (t) => {
  const svg = chart(fakeResults());
  t.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  t.match(svg, /<\/svg>\n$/);
  t.match(svg, /not measured: gave rcode 0/);
  // QPS bars: hits 3 targets, auth 2 (the ceiling has none), view none (both runs invalid);
  // latency bars (avg and p99): hits 3 targets, auth 2.
  t.equal(svg.match(/<rect x=/g)?.length, 3 + 2 + 2 * 3 + 2 * 2);
});
