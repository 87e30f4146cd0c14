import t from 'tap';
import { lintMetric, Metrics } from '../../src/observability/metrics.js';
import { XFR_METRICS, XfrCounters, xfrSource } from '../../src/xfr/metrics.js';

t.test('every replication metric is lint-clean', async (t) => {
  for (const def of XFR_METRICS) t.same(lintMetric(def), [], def.name);
  t.equal(new Set(XFR_METRICS.map((d) => d.name)).size, XFR_METRICS.length, 'names are unique');
});

t.test('a scrape shows the counts and the state of the secondaries', async (t) => {
  const m = new Metrics({ processMetrics: false, definitions: XFR_METRICS });
  const c = new XfrCounters();
  c.served.inc('home.lan.', 'ixfr');
  c.served.inc('home.lan.', 'ixfr');
  c.served.inc('home.lan.', 'axfr');
  c.notifyIn.inc('home.lan.', 'ignored');
  c.forwarded.inc('home.lan.', 'ok');
  m.add(xfrSource(c, () => [{ zone: 'home.lan.', available: false, lastContact: 1_700_000_000_000 }]));
  const text = await m.text();
  t.match(text, /^horizond_xfr_served_total\{zone="home\.lan\.",type="ixfr"\} 2$/m);
  t.match(text, /^horizond_xfr_served_total\{zone="home\.lan\.",type="axfr"\} 1$/m);
  t.match(text, /^horizond_notify_received_total\{zone="home\.lan\.",result="ignored"\} 1$/m);
  t.match(text, /^horizond_update_forwarded_total\{zone="home\.lan\.",result="ok"\} 1$/m);
  t.match(text, /^horizond_secondary_zone_available\{zone="home\.lan\."\} 0$/m);
  t.match(text, /^horizond_secondary_last_contact_timestamp_seconds\{zone="home\.lan\."\} 1700000000$/m);
});
