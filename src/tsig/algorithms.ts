import { nameToWire } from '../wire/name.js';
import { HzError } from '../errors/index.js';

/**
 * The TSIG HMAC algorithms of RFC 8945 §6 (and RFC 4635). `name` is the canonical algorithm
 * name as carried in the TSIG RDATA; `id` is the short form used in configuration and by
 * `dig -y`/`kdig -y`.
 */
export interface TsigAlgorithm {
  /** Short name: `hmac-sha256`. */
  readonly id: string;
  /** Canonical algorithm domain name, lower case, absolute: `hmac-sha256.`. */
  readonly name: string;
  /** Uncompressed wire form of `name` (what the MAC covers). */
  readonly wire: Uint8Array;
  /** node:crypto digest name. */
  readonly hash: string;
  /** Full HMAC output length in octets. */
  readonly size: number;
  /** Shortest MAC RFC 8945 §5.2.2.1 allows: max(10, size / 2) octets. */
  readonly minSize: number;
}

function algorithm(id: string, name: string, hash: string, size: number): TsigAlgorithm {
  return Object.freeze({ id, name, wire: nameToWire(name), hash, size, minSize: Math.max(10, Math.ceil(size / 2)) });
}

/** All supported algorithms, strongest recommended first. */
export const TSIG_ALGORITHMS: readonly TsigAlgorithm[] = Object.freeze([
  algorithm('hmac-sha256', 'hmac-sha256.', 'sha256', 32),
  algorithm('hmac-sha384', 'hmac-sha384.', 'sha384', 48),
  algorithm('hmac-sha512', 'hmac-sha512.', 'sha512', 64),
  algorithm('hmac-sha224', 'hmac-sha224.', 'sha224', 28),
  algorithm('hmac-sha1', 'hmac-sha1.', 'sha1', 20),
  algorithm('hmac-md5', 'hmac-md5.sig-alg.reg.int.', 'md5', 16),
]);

const byName = new Map<string, TsigAlgorithm>();
for (const a of TSIG_ALGORITHMS) {
  byName.set(a.id, a);
  byName.set(a.name, a);
}

/**
 * Looks an algorithm up by short id (`hmac-sha256`, any case) or by its canonical domain name
 * with or without the trailing dot (`HMAC-MD5.SIG-ALG.REG.INT.`). Undefined when unsupported.
 */
export function algorithmByName(name: string): TsigAlgorithm | undefined {
  const lower = name.toLowerCase();
  return byName.get(lower) ?? byName.get(lower.endsWith('.') ? lower : lower + '.');
}

/** An algorithm plus the MAC length to use with it (0 = full length). */
export interface AlgorithmSpec {
  algorithm: TsigAlgorithm;
  digestBits: number;
}

/**
 * Parses an algorithm as written in configuration or on the `dig -y` command line, including
 * BIND's truncation suffix: `hmac-sha256-128` means HMAC-SHA256 with 128-bit MACs.
 * Throws a RangeError for an unknown algorithm or a truncation RFC 8945 §5.2.2.1 forbids.
 */
export function parseAlgorithm(spec: string, digestBits = 0): AlgorithmSpec {
  let algorithm = algorithmByName(spec);
  let bits = digestBits;
  if (!algorithm) {
    const m = /^(.*)-(\d{1,4})$/.exec(spec);
    algorithm = m ? algorithmByName(m[1]!) : undefined;
    if (!algorithm || bits !== 0) throw new HzError('HZ_ERR_TSIG_KEY', `unsupported TSIG algorithm "${spec}"`);
    bits = Number(m![2]);
  }
  return { algorithm, digestBits: checkDigestBits(algorithm, bits) };
}

/** Validates a truncation length in bits; returns 0 when it means "full length". */
export function checkDigestBits(algorithm: TsigAlgorithm, bits: number): number {
  if (bits === 0 || bits === algorithm.size * 8) return 0;
  if (!Number.isInteger(bits) || bits % 8 !== 0 || bits > algorithm.size * 8 || bits < algorithm.minSize * 8) {
    throw new HzError(
      'HZ_ERR_TSIG_KEY',
      `${algorithm.id}: digest bits must be a multiple of 8 between ${algorithm.minSize * 8} and ${algorithm.size * 8}, got ${bits}`,
    );
  }
  return bits;
}
