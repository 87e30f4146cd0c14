import { inspect } from 'node:util';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** True for non-empty, canonically padded base64 text (whitespace is not allowed). */
export function isBase64(text: string): boolean {
  return text.length > 0 && BASE64.test(text);
}

/**
 * A TSIG secret from configuration. It never shows up in `String()`, `JSON.stringify()` or
 * `util.inspect()` of the config: only `bytes()` and `base64()` reveal it.
 */
export class Secret {
  readonly #base64: string;
  /** The absolute `secretFile` it was read from, or null when written inline. */
  readonly file: string | null;

  /** `base64` must already be valid (see `isBase64`). */
  constructor(base64: string, file: string | null) {
    this.#base64 = base64;
    this.file = file;
  }

  /** A fresh copy of the secret bytes. */
  bytes(): Buffer {
    return Buffer.from(this.#base64, 'base64');
  }

  /** The secret as base64 text (for TSIG key constructors; never log it). */
  base64(): string {
    return this.#base64;
  }

  toString(): string {
    return '[secret]';
  }

  toJSON(): string {
    return '[secret]';
  }

  [inspect.custom](): string {
    return this.file === null ? 'Secret([redacted])' : `Secret([redacted] from ${this.file})`;
  }
}
