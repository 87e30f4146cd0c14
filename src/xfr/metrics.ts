import type { MetricDef, MetricsSink, MetricsSource } from '../observability/metrics.js';

/**
 * Replication counters. Transfers, NOTIFYs and forwarded updates are rare (a few per zone
 * change), so counts live in small maps keyed by configured zone and outcome; a NOTIFY for a
 * zone that is not configured is counted under zone `other` (labels stay bounded).
 */

export type ServedKind = 'axfr' | 'ixfr' | 'ixfr_full' | 'uptodate';
export type ReceivedKind = 'axfr' | 'ixfr' | 'uptodate';
export type NotifyInResult = 'accepted' | 'ignored' | 'notauth';
export type NotifyOutResult = 'ok' | 'failed';
export type ForwardResult = 'ok' | 'failed' | 'refused';

/** Counts by (zone, label). */
export class LabelledCounts<L extends string> {
  readonly #counts = new Map<string, Map<L, number>>();

  inc(zone: string, label: L, by = 1): void {
    let m = this.#counts.get(zone);
    if (m === undefined) this.#counts.set(zone, (m = new Map()));
    m.set(label, (m.get(label) ?? 0) + by);
  }

  get(zone: string, label: L): number {
    return this.#counts.get(zone)?.get(label) ?? 0;
  }

  *entries(): Generator<[string, L, number]> {
    for (const [zone, m] of this.#counts) for (const [label, n] of m) yield [zone, label, n];
  }
}

export class XfrCounters {
  /** Transfers answered as primary, by kind (`ixfr_full`: an IXFR answered with the whole zone). */
  readonly served = new LabelledCounts<ServedKind>();
  /** Transfer requests refused by `allowTransfer`. */
  readonly refused = new LabelledCounts<'refused'>();
  /** Transfers completed as secondary, by kind. */
  readonly received = new LabelledCounts<ReceivedKind>();
  /** Refresh cycles of a secondary that reached no primary or whose transfer failed. */
  readonly failures = new LabelledCounts<'failed'>();
  /** NOTIFY messages received: accepted (from a primary), ignored (from anyone else), notauth (not a secondary zone here). */
  readonly notifyIn = new LabelledCounts<NotifyInResult>();
  /** NOTIFY messages sent, by the end of their retries. */
  readonly notifyOut = new LabelledCounts<NotifyOutResult>();
  /** UPDATE messages relayed to a primary. */
  readonly forwarded = new LabelledCounts<ForwardResult>();
}

/** The metric families of this module (for the catalog). */
export const XFR_METRICS: readonly MetricDef[] = Object.freeze([
  def('counter', 'horizond_xfr_served_total', 'Zone transfers answered as primary, by zone and type (axfr, ixfr, ixfr_full: an IXFR answered with the whole zone, uptodate).', ['zone', 'type']),
  def('counter', 'horizond_xfr_refused_total', 'Zone transfer requests refused by allowTransfer, by zone.', ['zone']),
  def('counter', 'horizond_xfr_received_total', 'Zone transfers completed as secondary, by zone and type (axfr, ixfr, uptodate).', ['zone', 'type']),
  def('counter', 'horizond_xfr_failures_total', 'Secondary refreshes that reached no primary or whose transfer failed, by zone.', ['zone']),
  def('counter', 'horizond_notify_received_total', 'NOTIFY messages received, by zone and result (accepted, ignored: not from a primary, notauth: not a secondary zone here, zone "other").', ['zone', 'result']),
  def('counter', 'horizond_notify_sent_total', 'NOTIFY messages sent, by zone and result after retries (ok, failed).', ['zone', 'result']),
  def('counter', 'horizond_update_forwarded_total', 'UPDATE messages for secondary zones relayed to a primary, by zone and result (ok, failed, refused).', ['zone', 'result']),
  def('gauge', 'horizond_secondary_zone_available', '1 while a secondary zone is served, 0 before its first transfer and after it expired.', ['zone']),
  def('gauge', 'horizond_xfr_history_damaged', '1 for each primary zone whose IXFR history file is damaged and was left as it is (history kept in memory only until restart).', ['zone']),
  def('gauge', 'horizond_secondary_last_contact_timestamp_seconds', 'Unix time a secondary zone last confirmed its data with a primary.', ['zone']),
]);

function def(type: 'counter' | 'gauge', name: string, help: string, labelNames: readonly string[]): MetricDef {
  return { type, name, help, labelNames };
}

/** What the metrics source reads of each secondary zone. */
export interface SecondaryStatus {
  readonly zone: string;
  readonly available: boolean;
  /** ms since the epoch, 0 when never. */
  readonly lastContact: number;
}

/** Publishes the counters and the secondaries' state at scrape time. */
export function xfrSource(c: XfrCounters, secondaries: () => Iterable<SecondaryStatus>, damagedHistories: () => Iterable<string> = () => []): MetricsSource {
  return {
    collect(sink: MetricsSink): void {
      for (const zone of damagedHistories()) sink.value('horizond_xfr_history_damaged', { zone }, 1);
      for (const [zone, type, n] of c.served.entries()) sink.value('horizond_xfr_served_total', { zone, type }, n);
      for (const [zone, , n] of c.refused.entries()) sink.value('horizond_xfr_refused_total', { zone }, n);
      for (const [zone, type, n] of c.received.entries()) sink.value('horizond_xfr_received_total', { zone, type }, n);
      for (const [zone, , n] of c.failures.entries()) sink.value('horizond_xfr_failures_total', { zone }, n);
      for (const [zone, result, n] of c.notifyIn.entries()) sink.value('horizond_notify_received_total', { zone, result }, n);
      for (const [zone, result, n] of c.notifyOut.entries()) sink.value('horizond_notify_sent_total', { zone, result }, n);
      for (const [zone, result, n] of c.forwarded.entries()) sink.value('horizond_update_forwarded_total', { zone, result }, n);
      for (const s of secondaries()) {
        sink.value('horizond_secondary_zone_available', { zone: s.zone }, s.available ? 1 : 0);
        if (s.lastContact > 0) sink.value('horizond_secondary_last_contact_timestamp_seconds', { zone: s.zone }, s.lastContact / 1000);
      }
    },
  };
}
