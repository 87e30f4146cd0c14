/** Stable codes of upstream failures (log and count by code). */
export type UpstreamErrorCode =
  /** No server answered within the per-attempt timeouts / the budget. */
  | 'HZ_ERR_UPSTREAM_TIMEOUT'
  /** Servers failed: transport or TLS errors, or only unusable answers (REFUSED, NOTIMP, FORMERR). */
  | 'HZ_ERR_UPSTREAM_FAILED'
  /** The group was closed while the query was pending, or before it started. */
  | 'HZ_ERR_UPSTREAM_CLOSED'
  /** Bad upstream specs or options (thrown by the constructor). */
  | 'HZ_ERR_UPSTREAM_CONFIG';

/** Why a group query produced no result. `reasons` lists each attempt's outcome (`name: why`). */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  constructor(
    readonly code: UpstreamErrorCode,
    message: string,
    readonly reasons: readonly string[] = [],
  ) {
    super(`upstream: ${message}`);
  }
}
