import { fmix32, keyOf, keyOfText, lowerByte, SEED1, SEED2, step1, step2 } from './hash.js';
import { EntryKind, parseList, type EntrySink, type ParseStats } from './parse.js';

/**
 * The compact set of listed names: sorted 52-bit keys (hash.ts) in a Float64Array, a parallel
 * Uint32Array of flags (bit g: group g blocks the name and everything below it; bit 16 + g: an
 * allow entry for group g covers the name and everything below it), and a bucket index over
 * the keys' top bits so a probe scans a handful of neighbours. About 12 bytes per listed name
 * plus 0.5 bytes of index: 1,000,000 names take ~12.5 MiB. Arrays live in SharedArrayBuffers so
 * the compiler thread hands them over without copying.
 */

/** Groups are bits 0..15 of the flags word; allow entries the same bits shifted by 16. */
export const MAX_GROUPS = 16;
export const ALL_GROUPS = 0xffff;

/** The keys of one compiled source: sorted, without duplicates. */
export interface CompiledSource {
  readonly block: Float64Array;
  readonly allow: Float64Array;
  readonly stats: ParseStats;
}

function shared(n: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(Math.max(1, n) * 8), 0, n);
}

/** Sorts and removes duplicates in place; returns the unique count. */
function sortUnique(a: Float64Array, n: number): number {
  const v = a.subarray(0, n).sort();
  let u = 0;
  for (let i = 0; i < n; i++) if (i === 0 || v[i] !== v[u - 1]) v[u++] = v[i]!;
  return u;
}

class KeyCollector implements EntrySink {
  block: Float64Array;
  allow: Float64Array;
  nb = 0;
  na = 0;

  constructor(estimate: number) {
    this.block = new Float64Array(Math.max(16, estimate));
    this.allow = new Float64Array(16);
  }

  entry(kind: EntryKind, buf: Uint8Array, from: number, to: number): void {
    const key = keyOfText(buf, from, to);
    if (kind === EntryKind.Block) {
      if (this.nb === this.block.length) this.block = grow(this.block);
      this.block[this.nb++] = key;
    } else {
      if (this.na === this.allow.length) this.allow = grow(this.allow);
      this.allow[this.na++] = key;
    }
  }
}

function grow(a: Float64Array): Float64Array {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}

/** Parses and hashes one source's text (`allowOnly`: an allowlist source). */
export function compileSource(text: Uint8Array, allowOnly = false): CompiledSource {
  // ~25 bytes per line in public lists; the collector grows if needed.
  const c = new KeyCollector(allowOnly ? 16 : Math.ceil(text.length / 24));
  const stats = parseList(text, c, allowOnly);
  const nb = sortUnique(c.block, c.nb);
  const na = sortUnique(c.allow, c.na);
  const block = shared(nb);
  block.set(c.block.subarray(0, nb));
  const allow = shared(na);
  allow.set(c.allow.subarray(0, na));
  return { block, allow, stats };
}

/** Keys of presentation-format names (site zones, tests), sorted and unique. */
export function compileNames(names: Iterable<string>): Float64Array {
  const keys: number[] = [];
  for (const n of names) {
    const text = n.endsWith('.') ? n.slice(0, -1) : n;
    if (text === '') continue;
    const b = Buffer.from(text.toLowerCase(), 'latin1');
    keys.push(keyOfText(b, 0, b.length));
  }
  const a = Float64Array.from(keys);
  const u = sortUnique(a, a.length);
  const out = shared(u);
  out.set(a.subarray(0, u));
  return out;
}

/** One input of a merge: sorted unique keys and the flag bits they carry. */
export interface SetPart {
  readonly keys: Float64Array;
  readonly bits: number;
}

/** What BlockSet is made of (plain data: crosses threads). */
export interface BlockSetData {
  readonly keys: Float64Array;
  readonly flags: Uint32Array;
  readonly buckets: Uint32Array;
  readonly shift: number;
}

/** k-way merge of sorted parts into one sorted key array with OR-ed flags. */
export function mergeParts(parts: readonly SetPart[]): BlockSetData {
  const live = parts.filter((p) => p.keys.length > 0);
  const pos = new Int32Array(live.length);
  // Pass 1 counts distinct keys, pass 2 writes them (exact-size shared arrays).
  let count = 0;
  mergeWalk(live, pos, () => { count++; });
  const keys = shared(count);
  const flags = new Uint32Array(new SharedArrayBuffer(Math.max(1, count) * 4), 0, count);
  let i = 0;
  pos.fill(0);
  mergeWalk(live, pos, (key, bits) => { keys[i] = key; flags[i] = bits; i++; });
  const bits = Math.max(4, Math.min(24, Math.ceil(Math.log2(Math.max(1, count) / 8))));
  const shift = 32 - bits;
  const buckets = new Uint32Array(new SharedArrayBuffer(((1 << bits) + 1) * 4));
  const div = 2 ** (20 + shift);
  let b = 0;
  for (let k = 0; k < count; k++) {
    const bucket = Math.floor(keys[k]! / div);
    while (b <= bucket) buckets[b++] = k;
  }
  while (b <= 1 << bits) buckets[b++] = count;
  return { keys, flags, buckets, shift };
}

function mergeWalk(parts: readonly SetPart[], pos: Int32Array, out: (key: number, bits: number) => void): void {
  for (;;) {
    let min = Infinity;
    for (let p = 0; p < parts.length; p++) {
      const keys = parts[p]!.keys;
      if (pos[p]! < keys.length && keys[pos[p]!]! < min) min = keys[pos[p]!]!;
    }
    if (min === Infinity) return;
    let bits = 0;
    for (let p = 0; p < parts.length; p++) {
      const keys = parts[p]!.keys;
      if (pos[p]! < keys.length && keys[pos[p]!] === min) {
        bits |= parts[p]!.bits;
        pos[p]!++;
      }
    }
    out(min, bits >>> 0);
  }
}

/** Most labels a wire name can have. */
const MAX_LABELS = 128;

/**
 * The set as the query path reads it. `match` walks the QNAME in the query buffer once, probes
 * every suffix, and allocates nothing.
 */
export class BlockSet {
  readonly size: number;
  readonly #keys: Float64Array;
  readonly #flags: Uint32Array;
  readonly #buckets: Uint32Array;
  readonly #shift: number;
  readonly #starts = new Int32Array(MAX_LABELS);

  constructor(data: BlockSetData) {
    this.#keys = data.keys;
    this.#flags = data.flags;
    this.#buckets = data.buckets;
    this.#shift = data.shift;
    this.size = data.keys.length;
  }

  static empty(): BlockSet {
    return new BlockSet(mergeParts([]));
  }

  /** Bytes held by the arrays. */
  get bytes(): number {
    return this.#keys.byteLength + this.#flags.byteLength + this.#buckets.byteLength;
  }

  #probe(f1: number, f2: number): number {
    const key = keyOf(f1, f2);
    const keys = this.#keys;
    const b = f1 >>> this.#shift;
    const end = this.#buckets[b + 1]!;
    for (let i = this.#buckets[b]!; i < end; i++) {
      const k = keys[i]!;
      if (k === key) return this.#flags[i]!;
      if (k > key) return 0;
    }
    return 0;
  }

  /**
   * Flags OR-ed over the uncompressed wire name at `buf[start..]` and every name above it
   * (block bits 0..15, allow bits 16..31), or 0. A malformed name gives 0.
   */
  flagsAt(buf: Uint8Array, start: number): number {
    if (this.size === 0) return 0;
    const starts = this.#starts;
    let n = 0;
    let p = start;
    const len = buf.length;
    while (p < len && buf[p] !== 0) {
      if (n === MAX_LABELS || buf[p]! > 63) return 0;
      starts[n++] = p;
      p += buf[p]! + 1;
    }
    if (p >= len) return 0;
    let h1 = step1(SEED1, 0);
    let h2 = step2(SEED2, 0);
    let hi = p - 1;
    let flags = 0;
    for (let k = n - 1; k >= 0; k--) {
      const s = starts[k]!;
      for (let i = hi; i > s; i--) {
        const c = lowerByte(buf[i]!);
        h1 = step1(h1, c);
        h2 = step2(h2, c);
      }
      h1 = step1(h1, buf[s]!);
      h2 = step2(h2, buf[s]!);
      hi = s - 1;
      flags |= this.#probe(fmix32(h1), fmix32(h2));
    }
    return flags;
  }

  /**
   * The lowest group in `mask` that blocks the wire name at `buf[start..]` (not covered by an
   * allow entry for that group at or above it), or -1.
   */
  match(buf: Uint8Array, start: number, mask: number): number {
    const f = this.flagsAt(buf, start);
    const blocked = f & ~(f >>> 16) & mask & ALL_GROUPS;
    return blocked === 0 ? -1 : 31 - Math.clz32(blocked & -blocked);
  }
}
