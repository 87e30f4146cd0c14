import { readRegularFile } from '../../util/regular-file.js';
import type { At } from '../context.js';
import { DEFAULTS } from '../defaults.js';
import { fileReason, readableFile } from '../files.js';
import { hostPort } from '../net.js';
import { domainName } from '../names.js';
import { bool, list, object, oneOf, optional, path, required, str, withDefault } from '../schema.js';
import { Secret } from '../secret.js';
import type { ConsoleConfig, ConsoleTokenConfig } from '../types.js';

/**
 * `console`: the web console and HTTP API (`src/console/`). Tokens are named, read from files
 * (the file holds the token text, at least 16 characters, surrounding whitespace ignored) and
 * never printed. A token's `scope` is `read` or `write`; `zones` limits where it may write.
 */

const D = DEFAULTS.console;
/** A token shorter than this is refused: it could be guessed. */
export const MIN_TOKEN_LENGTH = 16;
const MAX_TOKEN_FILE = 4096;

function readToken(file: string, at: At): Secret | undefined {
  let text: string;
  try {
    text = readRegularFile(file, MAX_TOKEN_FILE).toString('utf8');
  } catch (err) {
    return at.error(`cannot read ${file}: ${fileReason(err)}`);
  }
  if (text.length > MAX_TOKEN_FILE) return at.error(`${file} is larger than ${MAX_TOKEN_FILE} bytes (content not shown)`);
  const token = text.trim();
  if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
    return at.error(`${file} must hold one token of at least ${MIN_TOKEN_LENGTH} characters without spaces (content not shown)`);
  }
  return new Secret(Buffer.from(token, 'utf8').toString('base64'), file);
}

const token = object(
  {
    name: required(str({ pattern: /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, what: 'a name of letters, digits, ".", "_", "-"' })),
    secretFile: required(path),
    scope: withDefault(oneOf(['read', 'write'] as const), D['tokens[]'].scope),
    zones: optional(list(domainName(), { min: 1, unique: { key: (z) => z, what: 'zone' } })),
  },
  (v, at): ConsoleTokenConfig | undefined => {
    const secret = readToken(v.secretFile, at.child('secretFile'));
    return secret && { name: v.name, secret, scope: v.scope, zones: v.zones ?? null };
  },
);

const tls = object({ certFile: required(readableFile({ pem: true })), keyFile: required(readableFile()) });

/** Parses `console`. */
export const parseConsole = object(
  {
    enabled: withDefault(bool, D.enabled),
    listen: withDefault(hostPort, D.listen),
    tokens: withDefault(list(token, { unique: { key: (t) => t.name, what: 'token', at: 'name' } }), D.tokens),
    tls: optional(tls),
  },
  (v): ConsoleConfig => ({ ...v, tls: v.tls ?? null }),
);
