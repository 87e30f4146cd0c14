import { HzError } from '../errors/index.js';

/**
 * Errors and diagnostics of the zone subsystem. Every message that points into a file reads
 * `path:line:col: what is wrong` with the path exactly as the caller gave it.
 */

/** A place in a zone file; line and col are 1-based. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

/** One finding of the parser or of the load-time checks. */
export interface ZoneIssue {
  /** What is wrong, without the position prefix. */
  message: string;
  /** Where, when known (records built by code rather than parsed have no position). */
  pos?: SourcePos;
}

/** `file:line:col: message`, or `zone ORIGIN: message` when the position is unknown. */
export function formatIssue(issue: ZoneIssue, origin?: string): string {
  if (issue.pos) return `${issue.pos.file}:${issue.pos.line}:${issue.pos.col}: ${issue.message}`;
  return origin ? `zone ${origin}: ${issue.message}` : issue.message;
}

/** A syntax error in a zone file (the file stops loading at the first one). */
export class ZoneParseError extends HzError {
  override readonly name = 'ZoneParseError';
  override readonly code = 'HZ_ERR_ZONE_PARSE';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly col: number,
    /** The message without the position prefix. */
    readonly reason: string,
  ) {
    super('HZ_ERR_ZONE_PARSE', `${file}:${line}:${col}: ${reason}`);
  }
}

/**
 * A zone that parsed but is not servable (load-time checks failed). `message` is the first
 * error, formatted; `errors` holds all of them, `warnings` what was found alongside.
 */
export class ZoneCheckError extends HzError {
  override readonly name = 'ZoneCheckError';
  override readonly code = 'HZ_ERR_ZONE_CHECK';
  readonly file: string;
  readonly line: number;
  readonly col: number;
  constructor(
    readonly origin: string,
    readonly errors: ZoneIssue[],
    readonly warnings: ZoneIssue[] = [],
  ) {
    const first = errors[0] ?? { message: 'zone check failed' };
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})` : '';
    super('HZ_ERR_ZONE_CHECK', formatIssue(first, origin) + more);
    this.file = first.pos?.file ?? '';
    this.line = first.pos?.line ?? 0;
    this.col = first.pos?.col ?? 0;
  }
}
