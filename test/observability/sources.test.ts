import t from 'tap';
import { createSocket } from 'node:dgram';
import { DurationHistogram } from '../../src/observability/histogram.js';
import { Metrics } from '../../src/observability/metrics.js';
import { ReloadStats } from '../../src/observability/reloads.js';
import { cacheSource, rebindingSource, upstreamSource } from '../../src/observability/sources/resolver.js';
import { serverSource } from '../../src/observability/sources/server.js';
import { transportSource } from '../../src/observability/sources/transport.js';
import { updateSource } from '../../src/observability/sources/update.js';
import { TsigCounters, tsigSource } from '../../src/tsig/metrics.js';
import { viewSource } from '../../src/observability/sources/views.js';
import { AnswerCache } from '../../src/resolver/cache/answer-cache.js';
import { ViewCounters } from '../../src/view/views.js';
import { startListeners } from '../../src/transport/listeners.js';
import { query, sleep, TcpTestClient, TestHandler, frame } from '../helpers/transport.js';
import type { UpstreamStats } from '../../src/resolver/upstream/types.js';

/** One line of the exposition, exactly: `name{labels} value`. */
function line(name: string, labels: string, value: number | string): RegExp {
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`^${esc(name)}${labels === '' ? '' : esc(`{${labels}}`)} ${esc(String(value))}$`, 'm');
}

t.test('transport counters per listener, UDP and TCP', async (t) => {
  const handler = new TestHandler();
  const listeners = await startListeners([{ address: '127.0.0.1', port: 0, protocols: ['udp', 'tcp'] }], handler);
  t.teardown(() => listeners.close());
  const port = listeners.bound()[0]!.port;
  const m = new Metrics({ processMetrics: false });
  let current: typeof listeners | null = null;
  m.add(transportSource(() => current));
  t.notMatch(await m.text(), /^horizond_transport_received_total\{/m, 'nothing before the listeners are bound');
  current = listeners;

  const udp = createSocket('udp4');
  t.teardown(() => udp.close());
  udp.send(query(1), port, '127.0.0.1');
  udp.send(query(2), port, '127.0.0.1');
  const tcp = new TcpTestClient(port);
  t.teardown(() => tcp.destroy());
  await tcp.connected;
  await tcp.write(frame(query(3)));
  await tcp.waitFor(1);
  await sleep(50);

  const text = await m.text();
  const l = `127.0.0.1:${port}`;
  t.match(text, line('horizond_transport_received_total', `protocol="udp",listener="${l}"`, 2));
  t.match(text, line('horizond_transport_sent_total', `protocol="udp",listener="${l}"`, 2));
  t.match(text, line('horizond_transport_received_total', `protocol="tcp",listener="${l}"`, 1));
  t.match(text, line('horizond_tcp_connections_accepted_total', `listener="${l}"`, 1));
  t.match(text, line('horizond_tcp_connections_active', `listener="${l}"`, 1));
  t.match(text, line('horizond_tcp_connections_closed_total', `listener="${l}",reason="idle"`, 0));
});

t.test('server: reloads, zone serials, load failures, build info', async (t) => {
  let now = 1_700_000_000_000;
  const reloads = new ReloadStats(() => now);
  const target = {
    reloads,
    runtime: {
      zones: { zones: () => [{ origin: 'home.lan.', serial: 2024060101 }, { origin: 'Old.Lan.', serial: 7 }] },
      zoneFailures: [{ name: 'old.lan.' }, { name: 'never.lan.' }],
    },
    handlerErrors: 4,
  };
  const m = new Metrics({ processMetrics: false });
  m.add(serverSource(target, '1.2.3'));
  let text = await m.text();
  t.match(text, line('horizond_config_reloads_total', 'result="ok"', 0));
  t.match(text, line('horizond_config_last_reload_successful', '', 1));
  t.match(text, line('horizond_config_last_reload_success_timestamp_seconds', '', 1_700_000_000));
  t.match(text, line('horizond_zone_serial', 'zone="home.lan."', 2024060101));
  t.match(text, line('horizond_zone_load_failed', 'zone="home.lan."', 0));
  t.match(text, line('horizond_zone_load_failed', 'zone="old.lan."', 1), 'failed but the previous version serves');
  t.match(text, line('horizond_zone_load_failed', 'zone="never.lan."', 1), 'failed and not served');
  t.match(text, line('horizond_dns_handler_errors_total', '', 4));
  t.match(text, line('horizond_build_info', `version="1.2.3",nodejs="${process.version}"`, 1));

  now += 60_000;
  reloads.record(true);
  reloads.record(false);
  text = await m.text();
  t.match(text, line('horizond_config_reloads_total', 'result="ok"', 1));
  t.match(text, line('horizond_config_reloads_total', 'result="error"', 1));
  t.match(text, line('horizond_config_last_reload_successful', '', 0));
  t.match(text, line('horizond_config_last_reload_success_timestamp_seconds', '', 1_700_000_060));
});

t.test('cache, upstreams and rebinding', async (t) => {
  const cache = new AnswerCache({ maxEntries: 10, maxBytes: 1 << 20 });
  cache.counters.hits = 9;
  cache.counters.misses = 3;
  cache.counters.staleServed = 2;
  const base: UpstreamStats = {
    name: 'udp://192.0.2.53:53', queries: 10, failures: 1, timeouts: 2, rttSum: 30, srttMs: 12, healthy: 1,
    rejected: 0, truncated: 1, connections: 0,
  };
  const rtt = new DurationHistogram();
  rtt.observe(0.004);
  const m = new Metrics({ processMetrics: false });
  m.add(cacheSource(() => ({ ...cache.stats(), inFlight: 2 })));
  m.add(upstreamSource(() => [
    { ...base, rtt },
    { ...base, healthy: 0, srttMs: 40 }, // the same server in a forward domain's group
    { ...base, name: 'tls://1.1.1.1:853', queries: 5 },
  ]));
  m.add(rebindingSource(() => ({ filtered: 3, blocked: 1, removed: 4 })));
  const text = await m.text();
  t.match(text, line('horizond_cache_hits_total', '', 9));
  t.match(text, line('horizond_cache_misses_total', '', 3));
  t.match(text, line('horizond_cache_stale_served_total', '', 2));
  t.match(text, line('horizond_cache_entries', '', 0));
  t.match(text, line('horizond_upstream_inflight_queries', '', 2));
  t.match(text, line('horizond_upstream_queries_total', 'upstream="udp://192.0.2.53:53"', 20), 'one series per server, summed');
  t.match(text, line('horizond_upstream_timeouts_total', 'upstream="udp://192.0.2.53:53"', 4));
  t.match(text, line('horizond_upstream_healthy', 'upstream="udp://192.0.2.53:53"', 0), 'down in any group is down');
  t.match(text, line('horizond_upstream_srtt_seconds', 'upstream="udp://192.0.2.53:53"', 0.04));
  t.match(text, line('horizond_upstream_rtt_seconds_bucket', 'upstream="udp://192.0.2.53:53",le="0.005"', 1));
  t.match(text, line('horizond_upstream_queries_total', 'upstream="tls://1.1.1.1:853"', 5));
  t.notMatch(text, /horizond_upstream_rtt_seconds_count\{upstream="tls/, 'no histogram without one kept');
  t.match(text, line('horizond_rebinding_blocked_answers_total', '', 1));
});

t.test('views, updates, TSIG', async (t) => {
  const lan = new ViewCounters();
  lan.translatedAnswers = 5;
  lan.translatedAddresses = 6;
  const m = new Metrics({ processMetrics: false });
  m.add(viewSource(() => [{ name: 'lan', counters: lan }, { name: 'default', counters: new ViewCounters() }]));
  m.add(updateSource(() => [{ zone: 'home.lan.', result: 'noerror', count: 12 }, { zone: 'home.lan.', result: 'refused', count: 1 }]));
  const tsig = new TsigCounters();
  tsig.failures.badsig = 2;
  tsig.verified = 7;
  m.add(tsigSource(() => tsig));
  const text = await m.text();
  t.match(text, line('horizond_view_translated_answers_total', 'view="lan"', 5));
  t.match(text, line('horizond_view_translated_addresses_total', 'view="lan"', 6));
  t.match(text, line('horizond_view_translated_answers_total', 'view="default"', 0));
  t.match(text, line('horizond_updates_total', 'zone="home.lan.",result="noerror"', 12));
  t.match(text, line('horizond_updates_total', 'zone="home.lan.",result="refused"', 1));
  t.match(text, line('horizond_tsig_failures_total', 'reason="badsig"', 2));
  t.match(text, line('horizond_tsig_failures_total', 'reason="badtime"', 0));
  t.match(text, line('horizond_tsig_verified_total', '', 7));
});
