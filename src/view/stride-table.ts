/**
 * The storage behind PrefixTrie: a multibit trie with a 4-bit stride, kept in typed arrays.
 *
 * A node at level L consumes address bits [4L, 4L+4) and holds prefixes of length 4L+1..4L+4.
 * Each node has 16 child links and four 16-slot "best" rows: row d (1..4) holds, for every value
 * of the node's 4 bits, the best entry among this node's prefixes of length <= 4L+d (prefix
 * expansion done at insert time). A full lookup reads row 4 at each level; a lookup limited to
 * `maxBits` (EDNS Client Subnet) reads row `maxBits - 4L` at its last level, so a longer prefix
 * never hides a shorter one it must not see. The /0 entry lives outside the nodes.
 *
 * Entries are numbered from 1 (0 means none); `better` decides which of two entries wins a slot.
 */

const STRIDE = 4;
const FANOUT = 16;
const ROWS = 4;
const NODE_BEST = ROWS * FANOUT;

function nibbleAt(b: Uint8Array, level: number): number {
  const byte = b[level >>> 1]!;
  return (level & 1) === 0 ? byte >>> 4 : byte & 15;
}

export class StrideTable {
  /** Node n's children are at [n*16, n*16+16); 0 means none (the root, node 0, is nobody's child). */
  #children: Int32Array;
  /** Node n's row d (1..4) is at n*64 + (d-1)*16. */
  #best: Int32Array;
  /** Entry for the /0 prefix, or 0. */
  #default = 0;
  #nodes = 1;

  constructor(initialNodes = 16) {
    this.#children = new Int32Array(initialNodes * FANOUT);
    this.#best = new Int32Array(initialNodes * NODE_BEST);
  }

  /**
   * Adds entry `e` for the first `length` bits of `prefix` (4 or 16 bytes; bits past `length`
   * are ignored). `better(a, b)` is true when entry a beats entry b.
   */
  insert(prefix: Uint8Array, length: number, e: number, better: (a: number, b: number) => boolean): void {
    if (length === 0) {
      if (this.#default === 0 || better(e, this.#default)) this.#default = e;
      return;
    }
    const level = (length - 1) >>> 2; // 0-based level that holds this length
    let node = 0;
    for (let l = 0; l < level; l++) {
      const slot = node * FANOUT + nibbleAt(prefix, l);
      let child = this.#children[slot]!;
      if (child === 0) {
        child = this.#newNode();
        this.#children[slot] = child;
      }
      node = child;
    }
    const d = length - level * STRIDE; // 1..4
    const span = 1 << (STRIDE - d); // slots covered in row d
    const first = nibbleAt(prefix, level) & ~(span - 1) & (FANOUT - 1);
    const base = node * NODE_BEST;
    for (let row = d; row <= ROWS; row++) {
      const rowBase = base + (row - 1) * FANOUT;
      for (let s = first; s < first + span; s++) {
        const cur = this.#best[rowBase + s]!;
        if (cur === 0 || better(e, cur)) this.#best[rowBase + s] = e;
      }
    }
  }

  /**
   * Longest-prefix match of a 32-bit address (`ip`, unsigned) considering prefixes of at most
   * `maxBits` (0..32, an integer) bits. Returns the entry number or 0. For the IPv4 table only.
   */
  lookup32(ip: number, maxBits: number): number {
    let found = this.#default;
    const children = this.#children;
    const best = this.#best;
    let node = 0;
    let left = maxBits;
    for (let shift = 28; left > 0; shift -= STRIDE) {
      const nib = (ip >>> shift) & 15;
      const row = left >= STRIDE ? ROWS : left;
      const e = best[node * NODE_BEST + (row - 1) * FANOUT + nib]!;
      if (e !== 0) found = e;
      left -= STRIDE;
      if (left <= 0) break;
      node = children[node * FANOUT + nib]!;
      if (node === 0) break;
    }
    return found;
  }

  /**
   * Longest-prefix match of the address at `b[offset..)` considering prefixes of at most
   * `maxBits` (an integer) bits; only the bytes those bits span are read. Returns the entry
   * number or 0.
   */
  lookupBytes(b: ArrayLike<number>, offset: number, maxBits: number): number {
    let found = this.#default;
    const children = this.#children;
    const best = this.#best;
    let node = 0;
    let left = maxBits;
    for (let level = 0; left > 0; level++) {
      const byte = b[offset + (level >>> 1)]!;
      const nib = (level & 1) === 0 ? byte >>> 4 : byte & 15;
      const row = left >= STRIDE ? ROWS : left;
      const e = best[node * NODE_BEST + (row - 1) * FANOUT + nib]!;
      if (e !== 0) found = e;
      left -= STRIDE;
      if (left <= 0) break;
      node = children[node * FANOUT + nib]!;
      if (node === 0) break;
    }
    return found;
  }

  #newNode(): number {
    const n = this.#nodes++;
    if (n * FANOUT >= this.#children.length) {
      const children = new Int32Array(this.#children.length * 2);
      children.set(this.#children);
      this.#children = children;
      const best = new Int32Array(this.#best.length * 2);
      best.set(this.#best);
      this.#best = best;
    }
    return n;
  }
}
