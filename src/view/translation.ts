import { addressBits, addressSize, formatAddress, parseAddress, type Family } from './address.js';
import { checkPrefixLength, prefixBytes, PrefixTrie, type PrefixAddress } from './prefix-trie.js';
import { parseReverseName, reverseName } from './reverse-name.js';
import { HzError } from '../errors/index.js';

/**
 * 1:1 address translation for split horizon (hairpin NAT): the public zone holds the external
 * address a NAT forwards to a host inside; clients inside must get the internal address. A rule
 * maps a whole prefix, keeping the host bits (`203.0.113.0/28 → 10.0.20.0/28` sends .5 to
 * 10.0.20.5); a single address is a /32 or /128 rule. Forward is external → internal (A/AAAA
 * answers); reverse is internal → external (PTR queries for an internal address, answered from
 * the external reverse zone).
 *
 * When rules overlap, the longest matching prefix wins, then the first rule in config order.
 * Overlapping rules can make reverse(forward(x)) differ from x; non-overlapping rules cannot.
 */

/** One rule, as plain data (the config layer parses the text). */
export interface TranslationRule {
  /** Network as the outside sees it. */
  external: PrefixAddress;
  /** Network inside; same family as `external`. */
  internal: PrefixAddress;
  /** Prefix length for both sides; the full address (a 1:1 host rule) when omitted. */
  length?: number;
}

/** What a match rewrites: the target network and how many leading bits of it to copy. */
class Rewrite {
  /** Whole bytes copied from `to`. */
  readonly fullBytes: number;
  /** Bits of the next byte taken from `to` (0 when the length is byte-aligned). */
  readonly mask: number;

  constructor(readonly to: Uint8Array, readonly length: number) {
    this.fullBytes = length >>> 3;
    this.mask = (0xff00 >>> (length & 7)) & 0xff;
  }

  apply(buf: Uint8Array, offset: number): void {
    const to = this.to;
    const full = this.fullBytes;
    for (let i = 0; i < full; i++) buf[offset + i] = to[i]!;
    if (this.mask !== 0) {
      const m = this.mask;
      buf[offset + full] = (buf[offset + full]! & ~m) | (to[full]! & m);
    }
  }
}

/** A compiled rule set. Build once per config load; all lookups are read-only. */
export class AddressTranslation {
  readonly #forward = new PrefixTrie<Rewrite>({ mapIPv4: false });
  readonly #reverse = new PrefixTrie<Rewrite>({ mapIPv4: false });
  readonly #scratch = new Uint8Array(16);
  readonly size: number;

  /** Compiles the rules (in config order). Throws RangeError on a malformed rule. */
  constructor(rules: readonly TranslationRule[]) {
    rules.forEach((rule, i) => {
      const external = prefixBytes(rule.external);
      const internal = prefixBytes(rule.internal);
      if (external.length !== internal.length) {
        throw new HzError('HZ_ERR_INVALID_ARGUMENT', `view: translation rule ${i}: external and internal are not the same address family`);
      }
      const family: Family = external.length === 4 ? 4 : 6;
      const length = checkPrefixLength(rule.length ?? addressBits(family), family);
      this.#forward.insert(external, length, new Rewrite(internal, length), i);
      this.#reverse.insert(internal, length, new Rewrite(external, length), i);
    });
    this.size = rules.length;
  }

  /**
   * Rewrites the external address at `buf[offset..offset+4|16)` to its internal address if a
   * rule matches; returns whether it did. Allocation-free (the A/AAAA rdata hot path).
   */
  translateInPlace(buf: Uint8Array, offset: number, family: Family): boolean {
    return AddressTranslation.#run(this.#forward, buf, offset, family);
  }

  /** `translateInPlace` in the other direction: internal → external. */
  translateReverseInPlace(buf: Uint8Array, offset: number, family: Family): boolean {
    return AddressTranslation.#run(this.#reverse, buf, offset, family);
  }

  /** The internal address for external address bytes (4 or 16), as new bytes; null if no rule. */
  forwardLookup(address: ArrayLike<number>): Uint8Array | null {
    return AddressTranslation.#copy(this.#forward, address);
  }

  /** The external address for internal address bytes (4 or 16), as new bytes; null if no rule. */
  reverseLookup(address: ArrayLike<number>): Uint8Array | null {
    return AddressTranslation.#copy(this.#reverse, address);
  }

  /**
   * Text in, text out (logs, tests, `check` output): the translated address in RFC 5952 / dotted
   * form, or null when no rule matches or the text is not an address.
   */
  translateAddressString(address: string, direction: 'forward' | 'reverse' = 'forward'): string | null {
    const b = this.#scratch;
    const family = parseAddress(address, b);
    if (family === 0) return null;
    if (!AddressTranslation.#run(direction === 'forward' ? this.#forward : this.#reverse, b, 0, family)) return null;
    return formatAddress(b, family);
  }

  /**
   * For a PTR query about an internal address: the reverse name of its external address
   * (`5.20.0.10.in-addr.arpa.` → `5.113.0.203.in-addr.arpa.`), or null when the name is not a
   * full reverse name or no rule covers the address.
   */
  translateReverseName(name: string): string | null {
    const p = parseReverseName(name);
    if (p === null || p.bits !== addressBits(p.family)) return null;
    if (!AddressTranslation.#run(this.#reverse, p.bytes, 0, p.family)) return null;
    return reverseName(p.bytes);
  }

  static #run(trie: PrefixTrie<Rewrite>, buf: Uint8Array, offset: number, family: Family): boolean {
    const size = addressSize(family);
    if (offset < 0 || offset + size > buf.length) {
      throw new HzError('HZ_ERR_INVALID_ARGUMENT', `view: no ${size}-byte address at offset ${offset} of a ${buf.length}-byte buffer`);
    }
    const r = trie.lookupBytes(buf, family, size * 8, offset);
    if (r === undefined) return false;
    r.apply(buf, offset);
    return true;
  }

  static #copy(trie: PrefixTrie<Rewrite>, address: ArrayLike<number>): Uint8Array | null {
    const b = prefixBytes(address);
    return AddressTranslation.#run(trie, b, 0, b.length === 4 ? 4 : 6) ? b : null;
  }
}
