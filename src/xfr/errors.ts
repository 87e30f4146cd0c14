/**
 * A zone transfer, NOTIFY or forwarded update that failed: broken stream, TSIG failure, refused,
 * timed out. `code` is stable for logs and tests.
 */
export class XfrError extends Error {
  override readonly name = 'XfrError';
  constructor(message: string, readonly code: XfrErrorCode = 'HZ_ERR_XFR_PROTOCOL') {
    super(message);
  }
}

export type XfrErrorCode =
  | 'HZ_ERR_XFR_PROTOCOL'
  | 'HZ_ERR_XFR_TIMEOUT'
  | 'HZ_ERR_XFR_NETWORK'
  | 'HZ_ERR_XFR_TSIG'
  | 'HZ_ERR_XFR_RCODE'
  | 'HZ_ERR_XFR_ZONE';
