import { HzError, type HzErrorCode } from '../../errors/index.js';
/** Stable codes of upstream failures (log and count by code): the HZ_ERR_UPSTREAM_* codes of src/errors. */
export type UpstreamErrorCode = Extract<HzErrorCode, `HZ_ERR_UPSTREAM_${string}`>;

/** Why a group query produced no result. `reasons` lists each attempt's outcome (`name: why`). */
export class UpstreamError extends HzError {
  override readonly name = 'UpstreamError';
  declare readonly code: UpstreamErrorCode;
  constructor(
    code: UpstreamErrorCode,
    message: string,
    readonly reasons: readonly string[] = [],
  ) {
    super(code, `upstream: ${message}`);
  }
}
