import { MAX_SECRET_BYTES, readRegularFile } from '../../util/regular-file.js';
import type { At } from '../context.js';
import { DEFAULTS } from '../defaults.js';
import { fileReason } from '../files.js';
import { domainName } from '../names.js';
import { describe, list, object, oneOf, optional, path, required, withDefault, type Validator } from '../schema.js';
import { isBase64, Secret } from '../secret.js';
import type { TsigAlgorithmId, TsigKeyConfig } from '../types.js';

/**
 * `keys`: TSIG keys (RFC 8945). Each has exactly one of `secret` (base64) or `secretFile` (a
 * file holding the base64 text, as Kea and `tsig-keygen` users keep them). The secret is read
 * and checked at load; no message ever quotes it.
 */

export const TSIG_ALGORITHM_IDS: readonly TsigAlgorithmId[] = [
  'hmac-sha256', 'hmac-sha384', 'hmac-sha512', 'hmac-sha224', 'hmac-sha1', 'hmac-md5',
];

/** Inline secret: base64, whitespace ignored (so YAML folded text works). */
const secretText: Validator<string> = describe((at: At) => {
  const v = at.value;
  if (typeof v !== 'string') return at.expected('base64 text');
  const compact = v.replace(/\s+/g, '');
  return isBase64(compact) ? compact : at.error('is not valid base64 (value not shown)');
}, { type: 'string', minLength: 1, description: 'the secret in base64 (prefer secretFile)' });

function readSecretFile(file: string, at: At): Secret | undefined {
  let text: string;
  try {
    text = readRegularFile(file, MAX_SECRET_BYTES).toString('utf8');
  } catch (err) {
    return at.error(`cannot read ${file}: ${fileReason(err)}`);
  }
  const compact = text.replace(/\s+/g, '');
  return isBase64(compact) ? new Secret(compact, file) : at.error(`${file} does not hold base64 text (content not shown)`);
}

const key = object(
  {
    name: required(domainName()),
    algorithm: withDefault(oneOf(TSIG_ALGORITHM_IDS), DEFAULTS['keys[]'].algorithm),
    secret: optional(secretText),
    secretFile: optional(path),
  },
  (v, at): TsigKeyConfig | undefined => {
    if (v.secret !== undefined && v.secretFile !== undefined) {
      return at.child('secretFile').error('use either secret or secretFile, not both');
    }
    let secret: Secret | undefined;
    if (v.secret !== undefined) secret = new Secret(v.secret, null);
    else if (v.secretFile !== undefined) secret = readSecretFile(v.secretFile, at.child('secretFile'));
    else return at.error('needs secret or secretFile');
    return secret && { name: v.name, algorithm: v.algorithm, secret };
  },
);

/** Parses `keys`; names are unique. */
export const parseKeys = list(key, { unique: { key: (k) => k.name, what: 'key', at: 'name' } });
