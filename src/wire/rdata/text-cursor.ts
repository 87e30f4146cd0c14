import { PresentationError, type Token } from './text-error.js';

/**
 * Walks the RDATA tokens of one record while a type's fields are parsed. Errors name the type
 * and point at the offending token.
 */
export class TextCursor {
  i = 0;
  constructor(readonly typeName: string, readonly tokens: Token[], readonly origin: string) {}

  get done(): boolean {
    return this.i >= this.tokens.length;
  }

  /** The next token; `what` names the missing field in the error. */
  next(what: string): Token {
    const t = this.tokens[this.i];
    if (t === undefined) this.fail(this.tokens[this.tokens.length - 1] ?? null, `missing ${what}`);
    this.i++;
    return t;
  }

  /** All remaining tokens (consumed). */
  rest(): Token[] {
    const r = this.tokens.slice(this.i);
    this.i = this.tokens.length;
    return r;
  }

  fail(tok: Token | null, message: string): never {
    throw new PresentationError(`${this.typeName}: ${message}`, tok);
  }

  /** Decimal integer in [0, max]. */
  int(tok: Token, max: number, what: string): number {
    if (!/^\d+$/.test(tok.text)) this.fail(tok, `"${tok.text}" is not a valid ${what}`);
    const v = Number(tok.text);
    if (v > max) this.fail(tok, `${what} ${tok.text} is out of range (0..${max})`);
    return v;
  }
}

/**
 * Resolves the escapes of a character-string (`\"`, `\\`, `\DDD`, `\X`) into bytes. Characters
 * above 0x7f are taken as already-decoded text and encoded as UTF-8 (BIND reads zone files as
 * bytes, so `ü` becomes `\195\188` there too). Returns an error message instead of throwing.
 */
export function unescapeString(text: string): Uint8Array | string {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) {
      if (i + 1 >= text.length) return 'dangling backslash';
      const d = text.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(d)) {
        const v = Number(d);
        if (v > 255) return `bad escape \\${d}`;
        out.push(v);
        i += 3;
        continue;
      }
      if (/^\d/.test(d)) return `bad escape \\${d}`;
      i = pushChar(out, text, i + 1);
      continue;
    }
    i = pushChar(out, text, i);
  }
  return Uint8Array.from(out);
}

function pushChar(out: number[], text: string, i: number): number {
  const c = text.codePointAt(i)!;
  if (c < 0x80) {
    out.push(c);
    return i;
  }
  const s = String.fromCodePoint(c);
  for (const b of Buffer.from(s, 'utf8')) out.push(b);
  return i + s.length - 1;
}

/**
 * Escapes bytes for a quoted presentation string: `"` and `\` get a backslash, bytes outside
 * printable ASCII become `\DDD`. With `space` false a space is printed as `\032` too.
 */
export function escapeBytes(b: Uint8Array, start = 0, end = b.length, space = true): string {
  let s = '';
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c === 0x22 || c === 0x5c) s += '\\' + String.fromCharCode(c);
    else if (c < 0x20 || c >= 0x7f || (c === 0x20 && !space)) s += '\\' + String(c).padStart(3, '0');
    else s += String.fromCharCode(c);
  }
  return s;
}
