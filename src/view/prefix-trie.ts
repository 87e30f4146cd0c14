import type { IPv4, IPv6 } from 'ipaddr.js';
import { addressBits, isIPv4Mapped, parseIPv4, parseIPv6, readIPv4, type Family } from './address.js';
import { StrideTable } from './stride-table.js';
import { HzError } from '../errors/index.js';

/** The network part of a prefix: 4 or 16 bytes, or an address parsed by ipaddr.js. */
export type PrefixAddress = ArrayLike<number> | IPv4 | IPv6;

export interface PrefixTrieOptions {
  /**
   * Treat IPv4-mapped IPv6 (`::ffff:a.b.c.d`) as IPv4 (default true): such lookups search the
   * IPv4 prefixes, and inserted IPv6 prefixes of /96 or longer inside `::ffff:0:0/96` are stored
   * as the IPv4 prefix they cover. This is what a dual-stack socket bound to `::` needs, since it
   * reports IPv4 clients as `::ffff:a.b.c.d`. Set false where the 16 bytes are data (AAAA
   * rewriting), so IPv6 stays IPv6.
   */
  mapIPv4?: boolean;
}

/** One prefix as config hands it over. */
export interface PrefixEntry<T> {
  address: PrefixAddress;
  length: number;
  value: T;
  /** Config position; lower wins among equal prefixes. Defaults to the position in the list. */
  order?: number;
}

/** Copies an address to fresh bytes, checking it is 4 or 16 octets. */
export function prefixBytes(address: PrefixAddress): Uint8Array {
  const raw = typeof (address as IPv4).toByteArray === 'function'
    ? (address as IPv4 | IPv6).toByteArray()
    : (address as ArrayLike<number>);
  if (raw.length !== 4 && raw.length !== 16) throw new HzError('HZ_ERR_INVALID_ARGUMENT', `view: an address has 4 or 16 bytes, got ${raw.length}`);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    if (!Number.isInteger(b) || b < 0 || b > 255) throw new HzError('HZ_ERR_INVALID_ARGUMENT', `view: address byte ${i} is not an octet: ${b}`);
    out[i] = b;
  }
  return out;
}

/** Checks a prefix length for the family and returns it. */
export function checkPrefixLength(length: number, family: Family): number {
  const max = addressBits(family);
  if (!Number.isInteger(length) || length < 0 || length > max) {
    throw new HzError('HZ_ERR_INVALID_ARGUMENT', `view: prefix length must be an integer 0..${max} for IPv${family}, got ${length}`);
  }
  return length;
}

/**
 * Longest-prefix match over IPv4 and IPv6 prefixes, built once at load time and then only read.
 * Among prefixes of the same length and network the one with the lowest `order` wins (config
 * order); by default `order` is the insertion count, so the first inserted wins.
 *
 * Lookups allocate nothing: the string form is parsed by hand into a number (IPv4) or into a
 * scratch buffer owned by the trie and used only within one call (IPv6). Inserting after lookups
 * is allowed; there is no separate compile step. See stride-table.ts for the layout.
 */
export class PrefixTrie<T> {
  readonly #v4 = new StrideTable();
  readonly #v6 = new StrideTable();
  /** Entry number → value/length/order; entry 0 means "no match". */
  readonly #values: (T | undefined)[] = [undefined];
  readonly #lengths: number[] = [0];
  readonly #orders: number[] = [0];
  readonly #mapIPv4: boolean;
  readonly #scratch = new Uint8Array(16);
  readonly #better = (a: number, b: number): boolean =>
    this.#lengths[a]! > this.#lengths[b]! || (this.#lengths[a] === this.#lengths[b] && this.#orders[a]! < this.#orders[b]!);

  constructor(options: PrefixTrieOptions = {}) {
    this.#mapIPv4 = options.mapIPv4 ?? true;
  }

  /** Builds a trie from a list of prefixes (see `insert`). */
  static from<T>(entries: Iterable<PrefixEntry<T>>, options?: PrefixTrieOptions): PrefixTrie<T> {
    const trie = new PrefixTrie<T>(options);
    for (const e of entries) trie.insert(e.address, e.length, e.value, e.order);
    return trie;
  }

  /** Number of prefixes inserted (duplicates included). */
  get size(): number {
    return this.#values.length - 1;
  }

  /**
   * Adds a prefix: its network address (bits past `length` are ignored), its length in bits,
   * the value a match returns, and its config position (lower wins among equal prefixes).
   * Throws RangeError on a malformed address or length.
   */
  insert(address: PrefixAddress, length: number, value: T, order: number = this.size): void {
    let bytes = prefixBytes(address);
    let family: Family = bytes.length === 4 ? 4 : 6;
    checkPrefixLength(length, family);
    if (family === 6 && this.#mapIPv4 && length >= 96 && isIPv4Mapped(bytes)) {
      bytes = bytes.subarray(12);
      family = 4;
      length -= 96;
    }
    const e = this.#values.length;
    this.#values.push(value);
    this.#lengths.push(length);
    this.#orders.push(order);
    (family === 4 ? this.#v4 : this.#v6).insert(bytes, length, e, this.#better);
  }

  /** `insert` for a CIDR as returned by ipaddr.js `parseCIDR`. */
  insertCidr(cidr: readonly [IPv4 | IPv6, number], value: T, order: number = this.size): void {
    this.insert(cidr[0], cidr[1], value, order);
  }

  /**
   * Looks up a client address in text form as node:dgram / node:net report it (`'192.0.2.1'`,
   * `'2001:db8::1'`, `'::ffff:192.0.2.1'`, `'fe80::1%eth0'`). Undefined when nothing matches or
   * the text is not an address.
   */
  lookupString(address: string): T | undefined {
    let ip = parseIPv4(address);
    if (ip >= 0) return this.#values[this.#v4.lookup32(ip, 32)];
    if (this.#mapIPv4 && address.startsWith('::ffff:')) {
      ip = parseIPv4(address, 7);
      if (ip >= 0) return this.#values[this.#v4.lookup32(ip, 32)];
    }
    const b = this.#scratch;
    if (!parseIPv6(address, b)) return undefined;
    if (this.#mapIPv4 && isIPv4Mapped(b)) return this.#values[this.#v4.lookup32(readIPv4(b, 12), 32)];
    return this.#values[this.#v6.lookupBytes(b, 0, 128)];
  }

  /** Looks up an IPv4 address given as an unsigned 32-bit number, using at most `maxBits` bits. */
  lookupIPv4(ip: number, maxBits = 32): T | undefined {
    return this.#values[this.#v4.lookup32(ip >>> 0, maxBits >= 32 ? 32 : maxBits | 0)];
  }

  /**
   * Looks up the address at `bytes[offset..)`, considering only prefixes of at most `maxBits`
   * bits: pass the EDNS Client Subnet SOURCE PREFIX-LENGTH with its truncated ADDRESS bytes
   * (RFC 7871 §6). Only the bytes `maxBits` spans are read, and `maxBits` is clipped to the bytes
   * available, so a too-short buffer matches as a shorter prefix instead of reading past its end.
   */
  lookupBytes(bytes: ArrayLike<number>, family: Family, maxBits: number = addressBits(family), offset = 0): T | undefined {
    const full = family === 4 ? 32 : 128;
    let bits = maxBits >= full ? full : maxBits | 0;
    const avail = (bytes.length - offset) * 8;
    if (bits > avail) bits = avail;
    if (family === 4) return this.#values[this.#v4.lookupBytes(bytes, offset, bits)];
    if (this.#mapIPv4 && bits >= 96 && isIPv4Mapped(bytes, offset)) {
      return this.#values[this.#v4.lookupBytes(bytes, offset + 12, bits - 96)];
    }
    return this.#values[this.#v6.lookupBytes(bytes, offset, bits)];
  }
}
