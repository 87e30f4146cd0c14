import { isIPv4Mapped } from './address.js';
import { PrefixTrie } from './prefix-trie.js';

/** One view `match` prefix as compiled (the view is only compared by identity). */
export interface ScopePrefix {
  readonly bytes: ArrayLike<number>;
  readonly length: number;
  readonly view: unknown;
}

/**
 * The SCOPE PREFIX-LENGTH to echo in the Client Subnet option of an answer whose view a trusted
 * forwarder's ECS decided (RFC 7871 §7.2.1): the widest prefix of the client subnet for which
 * every address gets the same view. For a subnet that falls in the view network M it is M's
 * length, or longer when a more specific network inside M belongs to another view (the scope
 * must then be long enough to tell the two apart: that network's length). For a subnet no view
 * network covers it is the longest view network of the family. Computed once per config; a
 * lookup is one prefix-trie walk and allocates nothing.
 */
export class EcsScope {
  readonly #trie = new PrefixTrie<number>();
  /** Scope when no view network covers the subnet, by ECS family (1, 2). */
  readonly #none = [0, 0, 0];

  constructor(prefixes: readonly ScopePrefix[]) {
    const norm = prefixes.map((p) => normalize(p));
    for (let i = 0; i < norm.length; i++) {
      const m = norm[i]!;
      let scope = m.length;
      for (const p of norm) {
        if (p.family === m.family && p.length > m.length && p.view !== m.view && sameBits(p.bytes, m.bytes, m.length)) {
          if (p.length > scope) scope = p.length;
        }
      }
      this.#trie.insert(prefixes[i]!.bytes, prefixes[i]!.length, scope, i);
      const fam = m.family === 4 ? 1 : 2;
      if (m.length > this.#none[fam]!) this.#none[fam] = m.length;
    }
  }

  /** Scope for the ECS option data at `buf[at..at+len)` (already validated by the accept stage). */
  of(buf: Buffer, at: number, len: number): number {
    if (len < 4) return 0;
    const family = (buf[at]! << 8) | buf[at + 1]!;
    const source = buf[at + 2]!;
    if (source === 0 || (family !== 1 && family !== 2)) return 0; // 0/0: the client asked for no tailoring
    const s = this.#trie.lookupBytes(buf, family === 1 ? 4 : 6, source, at + 4);
    return s ?? this.#none[family]!;
  }
}

function normalize(p: ScopePrefix): { family: 4 | 6; bytes: ArrayLike<number>; length: number; view: unknown } {
  const b = p.bytes;
  if (b.length === 16 && p.length >= 96 && isIPv4Mapped(b as Uint8Array)) {
    return { family: 4, bytes: Array.from({ length: 4 }, (_, i) => b[12 + i]!), length: p.length - 96, view: p.view };
  }
  return { family: b.length === 4 ? 4 : 6, bytes: b, length: p.length, view: p.view };
}

/** The first `bits` bits of a and b are equal. */
function sameBits(a: ArrayLike<number>, b: ArrayLike<number>, bits: number): boolean {
  let i = 0;
  for (; bits >= 8; bits -= 8, i++) if (a[i] !== b[i]) return false;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return (a[i]! & mask) === (b[i]! & mask);
}
