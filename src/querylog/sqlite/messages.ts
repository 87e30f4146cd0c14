/** Messages between the SQLite sink (main thread) and its writer thread. */

export interface SqliteWorkerData {
  readonly file: string;
  readonly maxSize: number;
  readonly retentionMs: number;
  /** Pause between retention rounds. */
  readonly retentionIntervalMs: number;
  /** Pause between the steps of one round. */
  readonly stepPauseMs: number;
  /** Pause before reopening an unusable file. */
  readonly retryMs: number;
}

export type ToWorker =
  | { t: 'batch'; buf: Uint8Array; rows: number }
  /** Run a retention round now (tests, and after a reload). */
  | { t: 'retention' }
  | { t: 'close' };

export type FromWorker =
  | { t: 'done'; written: number; lost: number }
  | { t: 'state'; up: boolean; code?: string; message?: string }
  | { t: 'corrupt'; movedTo: string; message: string }
  | { t: 'stats'; sizeBytes: number; deleted: number; corrupt: number }
  | { t: 'closed' };
