import type { Token } from '../wire/presentation.js';
import { ZoneParseError } from './errors.js';

/**
 * RFC 1035 §5.1 master-file tokenizer. It turns text into *entries*: the tokens of one logical
 * line, where parentheses join physical lines. It handles `;` comments, `"quoted strings"`
 * (which may hold `;`, `(` and spaces but not a line break, as in BIND) and backslash escapes,
 * which stay raw in the token text (`\.`, `\DDD`): names and character-strings resolve them
 * differently, so that is left to their parsers. A `"` ends an unquoted token and starts a
 * quoted one (`abc"def"` is two tokens, as BIND reads it). Parentheses may nest.
 */

/** The tokens of one logical line of a zone file. */
export interface Entry {
  tokens: Token[];
  /** The line began with a space or tab: the owner is the previous record's. */
  blankOwner: boolean;
}

const SP = 0x20, TAB = 0x09, LF = 0x0a, CR = 0x0d, QUOTE = 0x22, SEMI = 0x3b;
const LPAREN = 0x28, RPAREN = 0x29, BSLASH = 0x5c;

function isSpace(c: number): boolean {
  return c === SP || c === TAB || c === CR;
}

/** Pull tokenizer over one file's text; `next()` yields entries until it returns null. */
export class Lexer {
  readonly #text: string;
  readonly #file: string;
  #pos = 0;
  #line = 1;
  #lineStart = 0;

  constructor(text: string, file: string) {
    this.#text = text;
    this.#file = file;
  }

  #col(at: number): number {
    return at - this.#lineStart + 1;
  }

  #fail(line: number, col: number, reason: string): never {
    throw new ZoneParseError(this.#file, line, col, reason);
  }

  /** The next non-empty logical line, or null at the end of the text. */
  next(): Entry | null {
    const s = this.#text;
    const n = s.length;
    let tokens: Token[] = [];
    let depth = 0;
    let openLine = 0, openCol = 0;
    let blankOwner = this.#pos < n && (s.charCodeAt(this.#pos) === SP || s.charCodeAt(this.#pos) === TAB);
    while (this.#pos < n) {
      const c = s.charCodeAt(this.#pos);
      if (c === LF) {
        this.#pos++;
        this.#line++;
        this.#lineStart = this.#pos;
        if (depth > 0) continue;
        if (tokens.length > 0) return { tokens, blankOwner };
        const nc = s.charCodeAt(this.#pos);
        blankOwner = nc === SP || nc === TAB;
        tokens = [];
        continue;
      }
      if (isSpace(c)) { this.#pos++; continue; }
      if (c === SEMI) {
        while (this.#pos < n && s.charCodeAt(this.#pos) !== LF) this.#pos++;
        continue;
      }
      if (c === LPAREN) {
        if (depth === 0) { openLine = this.#line; openCol = this.#col(this.#pos); }
        depth++;
        this.#pos++;
        continue;
      }
      if (c === RPAREN) {
        if (depth === 0) this.#fail(this.#line, this.#col(this.#pos), "unbalanced parentheses: ')' without '('");
        depth--;
        this.#pos++;
        continue;
      }
      tokens.push(c === QUOTE ? this.#quoted() : this.#word());
    }
    if (depth > 0) this.#fail(openLine, openCol, "unbalanced parentheses: '(' is never closed");
    return tokens.length > 0 ? { tokens, blankOwner } : null;
  }

  #quoted(): Token {
    const s = this.#text;
    const line = this.#line;
    const col = this.#col(this.#pos);
    const start = ++this.#pos;
    for (;;) {
      if (this.#pos >= s.length || s.charCodeAt(this.#pos) === LF) this.#fail(line, col, 'unterminated quoted string');
      const c = s.charCodeAt(this.#pos);
      if (c === QUOTE) break;
      if (c === BSLASH) {
        const e = s.charCodeAt(this.#pos + 1);
        if (this.#pos + 1 >= s.length || e === LF) this.#fail(line, col, 'unterminated quoted string');
        this.#pos += 2;
        continue;
      }
      this.#pos++;
    }
    const text = s.slice(start, this.#pos);
    this.#pos++;
    return { text, quoted: true, line, col };
  }

  #word(): Token {
    const s = this.#text;
    const line = this.#line;
    const col = this.#col(this.#pos);
    const start = this.#pos;
    while (this.#pos < s.length) {
      const c = s.charCodeAt(this.#pos);
      if (isSpace(c) || c === LF || c === SEMI || c === LPAREN || c === RPAREN || c === QUOTE) break;
      if (c === BSLASH) {
        const e = s.charCodeAt(this.#pos + 1);
        if (this.#pos + 1 >= s.length || e === LF || e === CR) {
          this.#fail(this.#line, this.#col(this.#pos), 'backslash at the end of a line');
        }
        this.#pos += 2;
        continue;
      }
      this.#pos++;
    }
    return { text: s.slice(start, this.#pos), quoted: false, line, col };
  }
}
