import t from 'tap';
import dnsPacket from 'dns-packet';
import { HORIZOND_METRICS } from '../../src/observability/catalog.js';
import { DurationHistogram } from '../../src/observability/histogram.js';
import { lintMetric, Metrics, type MetricDef } from '../../src/observability/metrics.js';
import { QueryStats, ViewSlotMap } from '../../src/observability/query-stats.js';
import { queryStatsSource } from '../../src/observability/sources/query.js';
import { AnswerSource, QueryContext, TransportKind, type ReplySink } from '../../src/pipeline/context.js';
import { Responder } from '../../src/pipeline/responder.js';
import { RCode } from '../../src/wire/constants.js';

type Json = Awaited<ReturnType<Metrics['registry']['getMetricsAsJSON']>>;

/** The value of one series in a JSON snapshot (undefined when absent). */
function valueOf(json: Json, name: string, labels: Record<string, string | number> = {}, metricName = name): number | undefined {
  const family = json.find((f) => f.name === name);
  const v = family?.values.find((s) => ((s as { metricName?: string }).metricName ?? name) === metricName &&
    Object.keys(labels).length === Object.keys(s.labels).length &&
    Object.entries(labels).every(([k, l]) => String(s.labels[k]) === String(l)));
  return v?.value;
}

const sink: ReplySink & { sent: Buffer[] } = { sent: [], reply(_c, r) { this.sent.push(r); }, dropped() {} };

/** Answers one query for `name`/`type` through a real Responder, `ms` after it arrived. */
function answer(out: Responder, clock: { now: number }, name: string, type: 'A' | 'AAAA' | 'MX' | 'NULL', source: number, rcode: number, ms: number): void {
  const msg = dnsPacket.encode({ type: 'query', id: 1, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] });
  const ctx = new QueryContext();
  ctx.reset(msg, '127.0.0.1', 5353, 4, TransportKind.Udp, sink, null, clock.now);
  ctx.q.parse(msg);
  clock.now += ms;
  out.error(ctx, rcode, source as AnswerSource);
}

t.test('every catalog metric is lint-clean and unique', async (t) => {
  const names = new Set<string>();
  for (const def of HORIZOND_METRICS) {
    t.same(lintMetric(def), [], def.name);
    t.notOk(names.has(def.name), `${def.name} defined once`);
    names.add(def.name);
  }
  t.ok(names.size >= 40);
});

t.test('the lint catches what Prometheus conventions forbid', async (t) => {
  const bad = (over: Partial<MetricDef>): string[] => lintMetric({ name: 'horizond_x_things_total', help: 'h', type: 'counter', labelNames: [], ...over });
  t.same(bad({}), []);
  t.match(bad({ name: 'horizond_x_things' }).join(), /end in _total/);
  t.match(bad({ type: 'gauge' }).join(), /only counters end in _total/);
  t.match(bad({ name: 'dns_things_total' }).join(), /horizond_/);
  t.match(bad({ name: 'horizond_x_CamelCase_total' }).join(), /snake case/);
  t.match(bad({ name: 'horizond_upstream_rtt_ms', type: 'gauge' }).join(), /base units/);
  t.match(bad({ name: 'horizond_x_latency', type: 'gauge' }).join(), /_seconds/);
  t.match(bad({ name: 'horizond_x_duration_seconds', type: 'histogram' }).join(), /without buckets/);
  t.match(bad({ name: 'horizond_x_things', type: 'histogram', buckets: [1] }).join(), /_seconds or _bytes/);
  t.match(bad({ labelNames: ['client'] }).join(), /unbounded/);
  t.match(bad({ labelNames: ['qName'] }).join(), /snake case/);
  t.match(bad({ help: ' ' }).join(), /help/);
  t.throws(() => new Metrics({ processMetrics: false, definitions: [{ name: 'horizond_bad', help: 'h', type: 'gauge', labelNames: [] }] }), /horizond_bad/);
});

t.test('a scrape shows the queries the Responder counted', async (t) => {
  const stats = new QueryStats();
  const clock = { now: 1000 };
  const out = new Responder({ udpPayloadSize: 1232, stats, now: () => clock.now });
  answer(out, clock, 'a.home.lan', 'A', AnswerSource.Authoritative, RCode.NoError, 0.3);
  answer(out, clock, 'b.home.lan', 'A', AnswerSource.Authoritative, RCode.NXDomain, 0.2);
  answer(out, clock, 'c.home.lan', 'AAAA', AnswerSource.Cache, RCode.NoError, 0.05);
  answer(out, clock, 'example.com', 'NULL', AnswerSource.Upstream, RCode.ServFail, 2000);
  answer(out, clock, 'evil.example', 'MX', AnswerSource.Refused, RCode.Refused, 0.01);
  stats.formerr += 2;
  stats.dropped += 3;

  const m = new Metrics({ processMetrics: false });
  m.add(queryStatsSource(stats));
  const json = await m.registry.getMetricsAsJSON();
  t.equal(valueOf(json, 'horizond_dns_responses_total', { source: 'authoritative', rcode: 'NOERROR' }), 1);
  t.equal(valueOf(json, 'horizond_dns_responses_total', { source: 'authoritative', rcode: 'NXDOMAIN' }), 1);
  t.equal(valueOf(json, 'horizond_dns_responses_total', { source: 'cache', rcode: 'NOERROR' }), 1);
  t.equal(valueOf(json, 'horizond_dns_responses_total', { source: 'upstream', rcode: 'SERVFAIL' }), 1);
  t.equal(valueOf(json, 'horizond_dns_responses_total', { source: 'refused', rcode: 'REFUSED' }), 1);
  t.equal(valueOf(json, 'horizond_dns_queries_total', { qtype: 'A' }), 2);
  t.equal(valueOf(json, 'horizond_dns_queries_total', { qtype: 'AAAA' }), 1);
  t.equal(valueOf(json, 'horizond_dns_queries_total', { qtype: 'MX' }), 1);
  t.equal(valueOf(json, 'horizond_dns_queries_total', { qtype: 'other' }), 1, 'NULL is not a tracked type');
  t.equal(valueOf(json, 'horizond_dns_malformed_total'), 2);
  t.equal(valueOf(json, 'horizond_dns_dropped_total'), 3);

  const h = 'horizond_dns_response_duration_seconds';
  const bucket = (le: number | string, source = 'authoritative') => valueOf(json, h, { source, le }, `${h}_bucket`);
  t.equal(bucket(0.00025), 1, '0.2 ms is within the 250 µs bucket');
  t.equal(bucket(0.0005), 2, 'buckets are cumulative');
  t.equal(bucket('+Inf'), 2);
  t.equal(valueOf(json, h, { source: 'authoritative' }, `${h}_count`), 2);
  t.ok(Math.abs(valueOf(json, h, { source: 'authoritative' }, `${h}_sum`)! - 0.0005) < 1e-9, 'sum in seconds');
  t.equal(bucket(1, 'upstream'), 0, '2 s is above 1 s');
  t.equal(bucket(2.5, 'upstream'), 1);
  t.equal(bucket(0.0001, 'cache'), 1, '50 µs lands in the first bucket');

  const text = await m.text();
  t.match(text, /^# TYPE horizond_dns_responses_total counter$/m);
  t.match(text, /^horizond_dns_responses_total\{source="cache",rcode="NOERROR"\} 1$/m);
  t.match(text, /^horizond_dns_response_duration_seconds_bucket\{source="upstream",le="\+Inf"\} 1$/m);
  t.match(m.contentType, /^text\/plain; version=0\.0\.4/);
});

t.test('per-view counts use stable slots across reloads', async (t) => {
  const stats = new QueryStats();
  const first = new ViewSlotMap(stats, ['lan', 'default'], true);
  stats.count(AnswerSource.Authoritative, 0, 1, 0.001, first.of({ index: 0 }));
  stats.count(AnswerSource.Authoritative, 0, 1, 0.001, first.of({ index: 1 }));
  stats.count(AnswerSource.Refused, 5, 1, 0.001, first.of(null));
  // A reload reorders the views and adds one: counts stay with their names.
  const second = new ViewSlotMap(stats, ['guest', 'default', 'lan'], true);
  stats.count(AnswerSource.Cache, 0, 1, 0.001, second.of({ index: 2 }));
  stats.count(AnswerSource.Cache, 0, 1, 0.001, second.of({ index: 0 }));
  const trivial = new ViewSlotMap(stats, ['default'], false);
  stats.count(AnswerSource.Cache, 0, 1, 0.001, trivial.of(null));

  const m = new Metrics({ processMetrics: false });
  m.add(queryStatsSource(stats));
  const json = await m.registry.getMetricsAsJSON();
  t.equal(valueOf(json, 'horizond_view_queries_total', { view: 'lan' }), 2);
  t.equal(valueOf(json, 'horizond_view_queries_total', { view: 'default' }), 2, 'null view counts for the only view when no view stage runs');
  t.equal(valueOf(json, 'horizond_view_queries_total', { view: 'guest' }), 1);
  t.equal(json.find((f) => f.name === 'horizond_view_queries_total')!.values.length, 3, 'an unmatched query is not a view');
});

t.test('sources are read at scrape time, each scrape afresh', async (t) => {
  const m = new Metrics({ processMetrics: false });
  let n = 1;
  const remove = m.add({ collect: (s) => s.value('horizond_cache_entries', null, n) });
  t.match(await m.text(), /^horizond_cache_entries 1$/m);
  n = 7;
  t.match(await m.text(), /^horizond_cache_entries 7$/m);
  const [a, b] = await Promise.all([m.text(), m.text()]);
  t.equal(a, b, 'concurrent scrapes agree');
  remove();
  t.notMatch(await m.text(), /^horizond_cache_entries \d/m, 'a removed source is gone');
});

t.test('a failing source costs only its own samples', async (t) => {
  const m = new Metrics({ processMetrics: false });
  m.add({ collect: () => { throw new Error('boom'); } });
  m.add({ collect: (s) => s.value('horizond_no_such_metric_total', null, 1) });
  m.add({ collect: (s) => s.value('horizond_zone_serial', { view: 'x' }, 1) });
  m.add({ collect: (s) => s.value('horizond_cache_hits_total', null, 5) });
  const text = await m.text();
  t.match(text, /^horizond_cache_hits_total 5$/m);
  t.match(text, /^horizond_metrics_collect_errors_total 3$/m);
  t.match(m.lastCollectError?.message, /zone_serial takes labels \[zone\]/);
});

t.test('histograms from DurationHistogram, and separate registries', async (t) => {
  const h = new DurationHistogram();
  for (const s of [0.0004, 0.003, 0.003, 7]) h.observe(s);
  t.equal(h.count, 4);
  const a = new Metrics({ processMetrics: false });
  const b = new Metrics({ processMetrics: false });
  a.add({ collect: (s) => s.histogram('horizond_upstream_rtt_seconds', { upstream: 'udp://192.0.2.53:53' }, h.counts, h.sum) });
  const text = await a.text();
  t.match(text, /^horizond_upstream_rtt_seconds_bucket\{upstream="udp:\/\/192\.0\.2\.53:53",le="0\.0025"\} 1$/m);
  t.match(text, /^horizond_upstream_rtt_seconds_bucket\{upstream="udp:\/\/192\.0\.2\.53:53",le="0\.005"\} 3$/m);
  t.match(text, /^horizond_upstream_rtt_seconds_bucket\{upstream="udp:\/\/192\.0\.2\.53:53",le="5"\} 3$/m);
  t.match(text, /^horizond_upstream_rtt_seconds_count\{upstream="udp:\/\/192\.0\.2\.53:53"\} 4$/m);
  t.notMatch(await b.text(), /horizond_upstream_rtt_seconds_bucket/, 'another Metrics has its own registry');
});

t.test('default process metrics are included', async (t) => {
  const m = new Metrics();
  const text = await m.text();
  t.match(text, /^process_cpu_user_seconds_total /m);
  t.match(text, /^nodejs_heap_size_used_bytes /m);
  t.match(text, /^# TYPE horizond_dns_responses_total counter$/m, 'families are listed even before data');
});
