import { HzError } from '../errors/index.js';

/**
 * Errors of the blocking subsystem, with stable codes. Source failures are not thrown to
 * callers: they are logged once per change of outcome, counted, and the last good copy keeps
 * serving; these codes appear in the log records and in `BlockingControl.status()`.
 */
export const BlockingErrorCode = {
  /** A list could not be downloaded (unreachable, timeout, HTTP error, redirects, too large). */
  Download: 'HZ_ERR_BLOCKING_DOWNLOAD',
  /** A list file is missing, unreadable or too large. */
  Source: 'HZ_ERR_BLOCKING_SOURCE',
  /** A list had no valid entry (garbage, an error page): the last good copy stays. */
  Empty: 'HZ_ERR_BLOCKING_EMPTY',
  /** `blocking test` / `pause` named a view that is not configured. */
  UnknownView: 'HZ_ERR_BLOCKING_UNKNOWN_VIEW',
  /** An operator tool was called while blocking is not configured. */
  NotConfigured: 'HZ_ERR_BLOCKING_NOT_CONFIGURED',
} as const;
export type BlockingErrorCode = (typeof BlockingErrorCode)[keyof typeof BlockingErrorCode];

export class BlockingError extends HzError {
  override readonly name = 'BlockingError';
  constructor(code: BlockingErrorCode, message: string) {
    super(code, `blocking: ${message}`);
  }
}
