import type { MetricDef, MetricsSink, MetricsSource } from '../observability/metrics.js';
import type { BlockingManager } from './manager.js';

/**
 * Blocking metrics. Blocked answers are plain integers per view and group counted by the stage;
 * everything else is read from the manager at scrape time. Labels stay bounded: `view` and
 * `group` are configured names, `source` is a source as written in the config, `result` is one
 * of REFRESH_RESULTS.
 */

const VG = ['view', 'group'];
const SRC = ['source'];

function def(type: 'counter' | 'gauge', name: string, help: string, labelNames: readonly string[] = []): MetricDef {
  return { type, name, help, labelNames };
}

export const BLOCKING_METRICS: readonly MetricDef[] = Object.freeze([
  def('counter', 'horizond_blocking_blocked_total', 'Queries answered from the blocklists (source "blocklist", CNAME cloaking included), by view and group.', VG),
  def('gauge', 'horizond_blocking_names', 'Distinct names (and allow entries) in the compiled blocking set.'),
  def('gauge', 'horizond_blocking_set_bytes', 'Memory held by the compiled blocking set.'),
  def('gauge', 'horizond_blocking_build_duration_seconds', 'How long the last rebuild of the blocking set took (off the event loop).'),
  def('gauge', 'horizond_blocking_entries', 'Entries in use from each source (its last good text): blocking entries, allow entries for allowlists.', SRC),
  def('gauge', 'horizond_blocking_invalid_lines', 'Lines of each source\'s last read that were not valid list lines (skipped).', SRC),
  def('gauge', 'horizond_blocking_unsupported_lines', 'Lines of each source\'s last read in AdBlock syntax horizond does not apply (skipped).', SRC),
  def('gauge', 'horizond_blocking_source_loaded', '1 when a source has a good copy in use, 0 when it has none yet (URL never downloaded, file never read).', SRC),
  def('gauge', 'horizond_blocking_last_refresh_timestamp_seconds', 'Unix time of the last refresh attempt of each source.', SRC),
  def('gauge', 'horizond_blocking_last_refresh_duration_seconds', 'How long the last refresh of each source took (download or read, and parse).', SRC),
  def('gauge', 'horizond_blocking_last_refresh_success', '1 when the last refresh of a source succeeded (or was not modified), 0 when it failed and the last good copy kept serving.', SRC),
  def('counter', 'horizond_blocking_refreshes_total', 'Refreshes by source and result (ok, not_modified, unreachable, timeout, http_error, too_large, redirects, empty, missing, unreadable).', ['source', 'result']),
  def('gauge', 'horizond_blocking_paused', '1 while blocking is paused for a view.', ['view']),
]);

export function blockingSource(m: BlockingManager): MetricsSource {
  return {
    collect(sink: MetricsSink): void {
      if (m.config === null && m.blocked.size === 0) return;
      for (const [view, counts] of m.blocked) {
        m.groups.forEach((group, g) => sink.value('horizond_blocking_blocked_total', { view, group }, counts[g]!));
      }
      sink.value('horizond_blocking_names', null, m.set.size);
      sink.value('horizond_blocking_set_bytes', null, m.set.bytes);
      if (m.lastBuild) sink.value('horizond_blocking_build_duration_seconds', null, m.lastBuild.ms / 1000);
      for (const s of m.sources()) {
        const labels = { source: s.source };
        sink.value('horizond_blocking_entries', labels, s.allowlist ? s.allowEntries : s.entries + s.allowEntries);
        sink.value('horizond_blocking_invalid_lines', labels, s.invalid);
        sink.value('horizond_blocking_unsupported_lines', labels, s.unsupported);
        sink.value('horizond_blocking_source_loaded', labels, s.loaded ? 1 : 0);
        if (s.lastRefresh) {
          sink.value('horizond_blocking_last_refresh_timestamp_seconds', labels, s.lastRefresh.at / 1000);
          sink.value('horizond_blocking_last_refresh_duration_seconds', labels, s.lastRefresh.seconds);
          sink.value('horizond_blocking_last_refresh_success', labels, s.lastRefresh.result === 'ok' || s.lastRefresh.result === 'not_modified' ? 1 : 0);
        }
      }
      for (const [source, result, n] of m.refreshCounts()) sink.value('horizond_blocking_refreshes_total', { source, result }, n);
      for (const view of m.blocked.keys()) sink.value('horizond_blocking_paused', { view }, m.pausedUntil(view) === null ? 0 : 1);
    },
  };
}
