import t, { type Test } from 'tap';
import { createSocket } from 'node:dgram';
import dnsPacket from 'dns-packet';
import { startDaemon, type Daemon } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { until } from '../helpers/transport.js';

/**
 * The daemon's operations listener, scraped over HTTP as Prometheus and the kubelet would:
 * counters follow real queries made with dig, health endpoints follow the lifecycle, and the
 * query log shows up on stdout.
 */

const METRICS = 'metrics: { enabled: true, listen: "127.0.0.1:0" }\n';

/** The repository's example zones on an ephemeral port, with `extra` sections. */
function config(extra: string): string {
  return `server:
  listen:
    - { address: 127.0.0.1, port: 0 }
zones:
  - { name: home.lan., file: zones/home.lan.zone }
  - { name: 1.168.192.in-addr.arpa., file: zones/1.168.192.in-addr.arpa.zone }
${extra}`;
}

async function http(d: Daemon, path: string): Promise<{ status: number; body: string; type: string }> {
  const ready = d.logs.find((r) => r.msg === 'ready') as { metrics: { address: string; port: number } };
  const res = await fetch(`http://127.0.0.1:${ready.metrics.port}${path}`);
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') ?? '' };
}

/** The value of one exposition line (`name{labels}`), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

t.test('metrics, health and readiness of a running daemon', async (t) => {
  const d = await startDaemon({ config: config(METRICS), copyZones: true });
  t.teardown(() => d.stop());
  t.equal((await http(d, '/healthz')).status, 200);
  const ready = await http(d, '/readyz');
  t.equal(ready.status, 200, 'ready once the listeners are bound');
  t.equal(ready.body, 'ready\n');

  t.equal((await dig('127.0.0.1', d.port, 'host1.home.lan', 'A')).status, 'NOERROR');
  t.equal((await dig('127.0.0.1', d.port, 'host1.home.lan', 'AAAA', ['+tcp'])).status, 'NOERROR');
  t.equal((await dig('127.0.0.1', d.port, 'nope.home.lan', 'A')).status, 'NXDOMAIN');
  t.equal((await dig('127.0.0.1', d.port, 'example.com', 'MX')).status, 'REFUSED');

  const m = await http(d, '/metrics');
  t.equal(m.status, 200);
  t.match(m.type, /^text\/plain; version=0\.0\.4/);
  const s = (series: string) => sample(m.body, series);
  t.equal(s('horizond_dns_responses_total{source="authoritative",rcode="NOERROR"}'), 2);
  t.equal(s('horizond_dns_responses_total{source="authoritative",rcode="NXDOMAIN"}'), 1);
  t.equal(s('horizond_dns_responses_total{source="refused",rcode="REFUSED"}'), 1);
  t.equal(s('horizond_dns_queries_total{qtype="A"}'), 2);
  t.equal(s('horizond_dns_queries_total{qtype="AAAA"}'), 1);
  t.equal(s('horizond_dns_response_duration_seconds_count{source="authoritative"}'), 3);
  t.equal(s(`horizond_transport_received_total{protocol="udp",listener="127.0.0.1:${d.port}"}`), 3);
  t.equal(s(`horizond_transport_received_total{protocol="tcp",listener="127.0.0.1:${d.port}"}`), 1);
  t.equal(s('horizond_zone_serial{zone="home.lan."}'), 2024060101);
  t.equal(s('horizond_zone_load_failed{zone="home.lan."}'), 0);
  t.equal(s('horizond_config_reloads_total{result="ok"}'), 0);
  t.equal(s('horizond_config_last_reload_successful'), 1);
  t.match(m.body, /^horizond_build_info\{version="\d+\.\d+\.\d+[^"]*",nodejs="v\d+/m);
  t.match(m.body, /^process_resident_memory_bytes \d+/m, 'process metrics');
  t.match(m.body, /^nodejs_eventloop_lag_seconds /m);

  d.proc.kill('SIGHUP');
  await d.waitLog((r) => r.msg === 'reloaded');
  const after = await http(d, '/metrics');
  t.equal(sample(after.body, 'horizond_config_reloads_total{result="ok"}'), 1, 'a SIGHUP reload is counted');
  t.equal(sample(after.body, 'horizond_dns_responses_total{source="authoritative",rcode="NOERROR"}'), 2, 'counts survive the reload');
});

t.test('per-view counts and translations', async (t) => {
  const zone = '$ORIGIN site.example.\n$TTL 300\n@ IN SOA ns hostmaster 1 3600 600 86400 300\n  IN NS ns\nns IN A 192.0.2.1\nwww IN A 203.0.113.10\n';
  const d = await startDaemon({
    config: `server:
  listen:
    - { address: 127.0.0.1, port: 0 }
zones:
  - { name: site.example., file: site.example.zone }
views:
  list:
    - name: lan
      match: [127.0.0.0/8]
      translate: [ { external: 203.0.113.10, internal: 192.168.1.40 } ]
    - name: default
${METRICS}queryLog: { enabled: true, views: [lan], sinks: [{ type: stdout }] }
`,
    files: { 'site.example.zone': zone },
  });
  t.teardown(() => d.stop());
  t.same((await dig('127.0.0.1', d.port, 'www.site.example', 'A')).answer.map((a) => a.split(' ').at(-1)), ['192.168.1.40']);
  t.equal((await dig('127.0.0.1', d.port, 'ns.site.example', 'A')).status, 'NOERROR');
  const m = (await http(d, '/metrics')).body;
  t.equal(sample(m, 'horizond_view_queries_total{view="lan"}'), 2);
  t.equal(sample(m, 'horizond_view_queries_total{view="default"}'), 0, 'a configured view with no queries yet');
  t.equal(sample(m, 'horizond_view_translated_answers_total{view="lan"}'), 1);
  t.equal(sample(m, 'horizond_view_translated_addresses_total{view="lan"}'), 1);
  const rec = await d.waitLog((r) => r.kind === 'query' && r.qname === 'www.site.example.');
  t.match(rec, { view: 'lan', translated: true, source: 'authoritative' }, 'the query log names the view and the translation');
});

/** A UDP upstream on loopback answering every A question with 198.51.100.7. */
async function fakeUpstream(t: Test): Promise<number> {
  const sock = createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    const q = dnsPacket.decode(msg);
    const question = q.questions![0]!;
    const reply = dnsPacket.encode({
      type: 'response', id: q.id, flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE, questions: q.questions,
      answers: [{ type: 'A', name: question.name, ttl: 300, class: 'IN', data: '198.51.100.7' }],
    });
    sock.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()));
  t.teardown(() => sock.close());
  return sock.address().port;
}

t.test('forwarding: cache and upstream metrics, upstream in the query log', async (t) => {
  const upstream = await fakeUpstream(t);
  const d = await startDaemon({
    config: config(`${METRICS}queryLog: { enabled: true, sinks: [{ type: stdout }] }
forward:
  upstreams: [ { address: 127.0.0.1, port: ${upstream}, protocol: udp } ]
`),
    copyZones: true,
  });
  t.teardown(() => d.stop());
  for (let i = 0; i < 3; i++) t.equal((await dig('127.0.0.1', d.port, 'www.example.org', 'A')).answer.length, 1);
  const m = (await http(d, '/metrics')).body;
  const id = `upstream="udp://127.0.0.1:${upstream}"`;
  t.equal(sample(m, 'horizond_dns_responses_total{source="upstream",rcode="NOERROR"}'), 1);
  t.equal(sample(m, 'horizond_dns_responses_total{source="cache",rcode="NOERROR"}'), 2);
  t.equal(sample(m, 'horizond_cache_hits_total'), 2);
  t.equal(sample(m, 'horizond_cache_misses_total'), 1);
  t.equal(sample(m, 'horizond_cache_entries'), 1);
  t.equal(sample(m, `horizond_upstream_queries_total{${id}}`), 1);
  t.equal(sample(m, `horizond_upstream_failures_total{${id}}`), 0);
  t.equal(sample(m, `horizond_upstream_healthy{${id}}`), 1);
  t.equal(sample(m, `horizond_upstream_rtt_seconds_count{${id}}`), 1);
  t.equal(sample(m, `horizond_upstream_rtt_seconds_bucket{${id},le="+Inf"}`), 1);
  const rec = await d.waitLog((r) => r.kind === 'query' && r.source === 'upstream');
  t.equal(rec.upstream, `udp://127.0.0.1:${upstream}`, 'the query log names the upstream');
});

t.test('metrics disabled: no listener', async (t) => {
  const d = await startDaemon({ config: config('metrics: { enabled: false }\n'), copyZones: true });
  t.teardown(() => d.stop());
  const ready = d.logs.find((r) => r.msg === 'ready')!;
  t.equal(ready.metrics, null);
});

t.test('the query log writes one JSON line per answer to stdout', async (t) => {
  const d = await startDaemon({
    config: config(`${METRICS}queryLog: { enabled: true, sampleRate: 1, sinks: [{ type: stdout }] }\n`),
    copyZones: true,
  });
  t.teardown(() => d.stop());
  await dig('127.0.0.1', d.port, 'nas.home.lan', 'AAAA');
  const rec = await d.waitLog((r) => r.kind === 'query' && r.qname === 'nas.home.lan.');
  t.match(rec, {
    service: 'horizond', client: '127.0.0.1', transport: 'udp', view: 'default', qtype: 'AAAA', rcode: 'NOERROR',
    source: 'authoritative', upstream: null, translated: false,
  });
  t.type(rec.port, 'number');
  t.type(rec.durationMs, 'number');
  t.match(rec.time, /^\d{4}-\d\d-\d\dT/);
  await until(() => d.logs.filter((r) => r.kind === 'query').length === 1, 1000, 'exactly one line');
});

t.test('by default the query log goes to SQLite: no query lines on stdout', async (t) => {
  const d = await startDaemon({ config: config(METRICS), copyZones: true });
  t.teardown(() => d.stop());
  await dig('127.0.0.1', d.port, 'nas.home.lan', 'A');
  await dig('127.0.0.1', d.port, 'nas.home.lan', 'A');
  // Scrape so the answers are certainly sent and counted before looking for log lines.
  t.equal(sample((await http(d, '/metrics')).body, 'horizond_dns_queries_total{qtype="A"}'), 2);
  t.equal(d.logs.filter((r) => r.kind === 'query').length, 0);
});
