import t from 'tap';
import { Metrics, type MetricDef } from '../../src/observability/metrics.js';
import { HORIZOND_METRICS } from '../../src/observability/catalog.js';
import { tsigSource, updateSource } from '../../src/observability/sources/update.js';
import { updateDetailSource, UpdateCounters } from '../../src/update/metrics.js';

/** The families updateDetailSource writes (to be added to observability/catalog.ts). */
const DETAIL: MetricDef[] = [
  { name: 'horizond_update_refusals_total', help: 'Refused or failed updates, by reason.', type: 'counter', labelNames: ['reason'] },
  { name: 'horizond_update_journal_commits_total', help: 'Journal writes (one fsync each).', type: 'counter', labelNames: [] },
  { name: 'horizond_update_journal_compactions_total', help: 'Journals rewritten as a snapshot.', type: 'counter', labelNames: [] },
  { name: 'horizond_update_journal_tails_cut_total', help: 'Torn or corrupt journal tails cut at startup.', type: 'counter', labelNames: [] },
  { name: 'horizond_update_scavenged_total', help: 'Dynamic names removed by scavenging.', type: 'counter', labelNames: [] },
  { name: 'horizond_update_journal_damaged', help: 'Zones not served: journal damaged.', type: 'gauge', labelNames: ['zone'] },
  { name: 'horizond_update_journal_write_errors_total', help: 'Failed journal writes.', type: 'counter', labelNames: [] },
  { name: 'horizond_update_journal_truncations_total', help: 'Damaged journals served from their last good record.', type: 'counter', labelNames: [] },
];

t.test('counters are published at scrape time through the metrics sources', async (t) => {
  const defs = HORIZOND_METRICS.filter((d) => d.name === 'horizond_updates_total' || d.name === 'horizond_tsig_failures_total');
  t.equal(defs.length, 2, 'the catalog defines the two shared families');
  const metrics = new Metrics({ processMetrics: false, definitions: [...defs, ...DETAIL] });
  const c = new UpdateCounters();
  metrics.add(updateSource(() => c.results()));
  metrics.add(tsigSource(() => c.tsig));
  metrics.add(updateDetailSource(c));
  c.result('home.lan.', 'NOERROR');
  c.result('home.lan.', 'NOERROR');
  c.result('other', 'NOTAUTH');
  c.refused.network = 2;
  c.tsig.badsig = 1;
  c.commits = 4;
  let text = await metrics.text();
  t.match(text, /horizond_updates_total\{zone="home\.lan\.",result="noerror"\} 2/);
  t.match(text, /horizond_updates_total\{zone="other",result="notauth"\} 1/);
  t.match(text, /horizond_update_refusals_total\{reason="network"\} 2/);
  t.match(text, /horizond_tsig_failures_total\{reason="badsig"\} 1/);
  t.match(text, /horizond_update_journal_commits_total 4/);
  c.commits = 6;
  text = await metrics.text();
  t.match(text, /horizond_update_journal_commits_total 6/, 'read again at the next scrape');
  t.equal(metrics.collectErrors, 0);
});
