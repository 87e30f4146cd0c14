import type { MetricDef } from '../observability/metrics.js';

/** The query log's metric families (for the catalog); filled by QueryLogOutput.metricsSource(). */
const c = (name: string, help: string, labelNames: readonly string[] = []): MetricDef => ({ name, help, type: 'counter', labelNames });
const g = (name: string, help: string, labelNames: readonly string[] = []): MetricDef => ({ name, help, type: 'gauge', labelNames });
const SINK = ['sink'];

export const QUERYLOG_METRICS: readonly MetricDef[] = Object.freeze([
  c('horizond_query_log_records_total', 'Answers recorded for the query log (after view filter and sampling).'),
  c('horizond_query_log_written_total', 'Query-log records stored by a sink, by sink type.', SINK),
  c('horizond_query_log_dropped_total', 'Query-log records a sink lost: oldest dropped from its full queue while it was slow or down, or a failed write.', SINK),
  c('horizond_query_log_sink_errors_total', 'Times a query-log sink became unable to write (read-only or full disk, database down, wrong password...).', SINK),
  g('horizond_query_log_sink_up', '1 while a query-log sink is writing, 0 while it is down (records wait in its bounded queue).', SINK),
  g('horizond_query_log_queued_rows', 'Query-log records waiting in a sink\'s queue.', SINK),
  c('horizond_query_log_retention_deleted_total', 'Query-log rows deleted by retention (age or size), by sink type.', SINK),
  g('horizond_query_log_sqlite_size_bytes', 'Size of the SQLite query-log file and its write-ahead log.'),
  c('horizond_query_log_postgres_copies_total', 'COPY statements that stored query-log rows in PostgreSQL.'),
  c('horizond_query_log_postgres_partitions_dropped_total', 'Day partitions of the PostgreSQL query log dropped by retention.'),
  c('horizond_query_log_sqlite_corrupt_files_total', 'Corrupt SQLite query-log files moved aside (a new file was started).'),
]);
