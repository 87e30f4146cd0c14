import type { Logger } from 'pino';
import type { MetricsSink } from '../../observability/metrics.js';
import type { Batch } from '../record.js';

/** What a sink reports back to the output that feeds it (one host per sink). */
export interface SinkHost {
  /** The batch of the last write() is finished: `written` rows stored, `lost` rows could not be. */
  done(written: number, lost: number): void;
  /** Rows a sink that buffers (accepts a batch, writes later) has now stored or lost. */
  report(written: number, lost: number): void;
  /**
   * The sink became able (`up`) or unable to take batches; `error` says why it went down
   * (`code` is a QueryLogErrorCode or the driver's code). Batches wait in the queue meanwhile.
   */
  state(up: boolean, error?: { code: string; message: string }): void;
}

/**
 * A query-log sink. The output calls write() only while `up` and never twice before done();
 * a sink that loses its storage reports state(false) and retries on its own schedule.
 */
export interface QueryLogSink {
  readonly type: string;
  readonly up: boolean;
  write(batch: Batch): void;
  /** Finishes the write in flight (if any) and releases everything. */
  close(): Promise<void>;
  /** Sink-specific samples (labels carry `sink`). */
  collect?(sink: MetricsSink): void;
}

export interface SinkEnv {
  readonly host: SinkHost;
  readonly log: Logger;
  readonly dataDir: string;
  /** queryLog.retention, seconds. */
  readonly retention: number;
  /** queryLog.file: where the stdout sink writes, null for standard output. */
  readonly file: string | null;
}
