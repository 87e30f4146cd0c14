import { HzError, type HzErrorCode } from '../errors/index.js';
/**
 * A zone transfer, NOTIFY or forwarded update that failed: broken stream, TSIG failure, refused,
 * timed out. `code` is stable for logs and tests.
 */
export class XfrError extends HzError {
  override readonly name = 'XfrError';
  declare readonly code: XfrErrorCode;
  constructor(message: string, code: XfrErrorCode = 'HZ_ERR_XFR_PROTOCOL') {
    super(code, message);
  }
}

/** The HZ_ERR_XFR_* codes of src/errors. */
export type XfrErrorCode = Extract<HzErrorCode, `HZ_ERR_XFR_${string}`>;
