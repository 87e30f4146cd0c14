import { HzError } from '../errors/index.js';

/**
 * Query-log errors. Sink failures never reach the answer path: they are logged (once per
 * state change), counted by code and the sink keeps retrying. Search and CLI errors reach the
 * operator with the message as it is.
 */

export const QueryLogErrorCode = {
  /** A search filter could not be read (bad prefix, time, type, source). */
  BadFilter: 'HZ_ERR_QUERYLOG_FILTER',
  /** The SQLite file could not be opened or written (read-only, full disk, permissions). */
  SqliteUnavailable: 'HZ_ERR_QUERYLOG_SQLITE',
  /** The SQLite file is not a database or is damaged; it is moved aside. */
  SqliteCorrupt: 'HZ_ERR_QUERYLOG_SQLITE_CORRUPT',
  /** PostgreSQL could not be reached or refused the login. */
  PostgresUnavailable: 'HZ_ERR_QUERYLOG_POSTGRES',
  /** The database holds a schema of a newer horizond than this one. */
  SchemaTooNew: 'HZ_ERR_QUERYLOG_SCHEMA_NEWER',
  /** The configured sink cannot be read by the CLI (none configured, file missing). */
  NoSink: 'HZ_ERR_QUERYLOG_NO_SINK',
} as const;
export type QueryLogErrorCode = (typeof QueryLogErrorCode)[keyof typeof QueryLogErrorCode];

/** An error of the query log; `message` starts with the component (`query log: …`). */
export class QueryLogError extends HzError {
  override readonly name = 'QueryLogError';
  declare readonly code: QueryLogErrorCode;

  constructor(code: QueryLogErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
