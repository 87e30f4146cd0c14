import { HzError } from '../../errors/index.js';

/**
 * Zone-file tokens as the zone lexer hands them to the RDATA parser, and the error the parser
 * throws. Kept apart from presentation.ts so rdata/ and presentation.ts do not import each other.
 */

/**
 * One field of a zone-file line. `text` keeps backslash escapes raw (names and character-strings
 * resolve them differently); `quoted` is true when the field was written as "...".
 */
export interface Token {
  text: string;
  quoted: boolean;
  line: number;
  col: number;
}

/**
 * Bad RDATA text (zone file, UPDATE tooling, config). `line`/`col` are those of the offending
 * token; both are 0 when there was no token to blame (e.g. the record has no RDATA at all).
 */
export class PresentationError extends HzError {
  override readonly name = 'PresentationError';
  override readonly code = 'HZ_ERR_PRESENTATION';
  readonly line: number;
  readonly col: number;
  constructor(message: string, readonly token: Token | null) {
    super('HZ_ERR_PRESENTATION', message);
    this.line = token?.line ?? 0;
    this.col = token?.col ?? 0;
  }
}
