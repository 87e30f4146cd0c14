import { createHmac, createSecretKey, type Hmac, type KeyObject } from 'node:crypto';
import { inspect } from 'node:util';
import { canonicalName, fqdn, nameToWire } from '../wire/name.js';
import { checkDigestBits, parseAlgorithm, type TsigAlgorithm } from './algorithms.js';
import { HzError } from '../errors/index.js';

/** What configuration provides for one key. */
export interface TsigKeyInit {
  /** Key name; made absolute and lower-cased (`Kea-DDNS` → `kea-ddns.`). */
  name: string;
  /** `hmac-sha256`, `HMAC-SHA256`, `hmac-sha256.`, or BIND's truncated form `hmac-sha256-128`. */
  algorithm: string;
  /** Raw secret bytes, or the base64 text found in key files and `dig -y`. */
  secret: Buffer | string;
  /**
   * MAC length in bits (Kea `digest-bits`, 0 = full). Used when signing, and as the shortest MAC
   * accepted from the peer: anything shorter gets BADTRUNC (RFC 8945 §5.2.4).
   */
  digestBits?: number;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * One shared secret. The secret never appears in `String(key)`, `JSON.stringify(key)` or
 * `util.inspect(key)`; only the MAC code reads it.
 */
export class TsigKey {
  /** Canonical (lower-case, absolute) key name. */
  readonly name: string;
  readonly algorithm: TsigAlgorithm;
  /** Truncation in bits, 0 when MACs are full length. */
  readonly digestBits: number;
  /** Length in octets of the MACs we produce, and the minimum we accept. */
  readonly macSize: number;
  /** Uncompressed wire form of `name` (the owner name of our TSIG RRs and a MAC input). */
  readonly nameWire: Uint8Array;
  readonly #secret: KeyObject;

  constructor(init: TsigKeyInit) {
    this.name = canonicalName(fqdn(init.name));
    this.nameWire = nameToWire(this.name);
    const spec = parseAlgorithm(init.algorithm);
    this.algorithm = spec.algorithm;
    this.digestBits = init.digestBits ? checkDigestBits(spec.algorithm, init.digestBits) : spec.digestBits;
    this.macSize = this.digestBits ? this.digestBits / 8 : this.algorithm.size;
    const raw = typeof init.secret === 'string' ? decodeSecret(init.secret, this.name) : init.secret;
    if (raw.length === 0) throw new HzError('HZ_ERR_TSIG_KEY', `TSIG key ${this.name}: empty secret`);
    this.#secret = createSecretKey(raw);
  }

  /** A copy of the secret bytes (for writing key files; never log it). */
  get secret(): Buffer {
    return this.#secret.export();
  }

  /** A fresh HMAC keyed with this key's secret and algorithm. */
  hmac(): Hmac {
    return createHmac(this.algorithm.hash, this.#secret);
  }

  toString(): string {
    return `TsigKey(${this.name} ${this.algorithm.id}${this.digestBits ? '-' + this.digestBits : ''})`;
  }

  toJSON(): { name: string; algorithm: string; digestBits: number } {
    return { name: this.name, algorithm: this.algorithm.id, digestBits: this.digestBits };
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

function decodeSecret(text: string, name: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (!BASE64.test(compact)) throw new HzError('HZ_ERR_TSIG_KEY', `TSIG key ${name}: secret is not valid base64`);
  return Buffer.from(compact, 'base64');
}

/** The keys a server or client knows, looked up by canonical name. */
export class Keyring {
  readonly #keys = new Map<string, TsigKey>();

  constructor(keys: Iterable<TsigKeyInit | TsigKey> = []) {
    for (const k of keys) this.add(k);
  }

  /** Adds a key; a second key with the same name is an error. */
  add(key: TsigKeyInit | TsigKey): TsigKey {
    const k = key instanceof TsigKey ? key : new TsigKey(key);
    if (this.#keys.has(k.name)) throw new HzError('HZ_ERR_TSIG_KEY', `duplicate TSIG key ${k.name}`);
    this.#keys.set(k.name, k);
    return k;
  }

  /** The key with this name (any case, with or without the trailing dot). */
  get(name: string): TsigKey | undefined {
    return this.#keys.get(name) ?? this.#keys.get(canonicalName(fqdn(name)));
  }

  get size(): number {
    return this.#keys.size;
  }

  /** Canonical names of all keys. */
  names(): string[] {
    return [...this.#keys.keys()];
  }

  toString(): string {
    return `Keyring(${this.names().join(', ')})`;
  }

  toJSON(): ReturnType<TsigKey['toJSON']>[] {
    return [...this.#keys.values()].map((k) => k.toJSON());
  }

  [inspect.custom](): string {
    return this.toString();
  }
}
