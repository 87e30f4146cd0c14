/**
 * Where cached answers live: large slabs of memory shared by many entries, instead of one small
 * buffer (and its ArrayBuffer, backing store and typed-array views, ~600 bytes of bookkeeping on
 * this runtime) per answer. An entry is a slab and an offset; its block is
 * `[TTL offsets, 2 bytes each, little endian][answer wire]` (see `pack.ts`).
 *
 * Allocation only bumps a pointer: bytes inside a slab are never reused, so a reader that still
 * holds an entry after it left the cache (a stale answer going out while a refresh replaces it)
 * reads the same bytes as before. A slab whose every entry is gone is dropped (the garbage
 * collector frees it once no entry refers to it). When slabs hold more than twice the live bytes,
 * `compact` copies the entries of the sparse slabs into fresh ones.
 */
export class Slab {
  /** Bytes handed out from the start of `buf`. */
  used = 0;
  /** Bytes of those still held by entries in the cache. */
  live = 0;
  /** Set while a compaction moves this slab's entries out. */
  evacuate = false;
  constructor(readonly buf: Buffer) {}
}

/** What `WireArena.compact` moves: an entry's block location, updated in place. */
export interface Placed {
  slab: Slab | null;
  at: number;
  /** Block length (offsets and wire). */
  readonly blockLen: number;
}

export const SLAB_BYTES = 256 * 1024;

export class WireArena {
  #current: Slab | null = null;
  /** Slabs still holding live bytes, and the current one. */
  readonly #slabs = new Set<Slab>();
  /** Their total size. */
  #slabBytes = 0;
  #liveBytes = 0;
  /** Slabs dropped because their last entry left (for tests and metrics). */
  released = 0;
  readonly #slabSize: number;

  constructor(slabSize = SLAB_BYTES) {
    this.#slabSize = slabSize;
  }

  /** Copies `block` in; sets `p.slab` and `p.at`. */
  place(p: Placed, block: Buffer): void {
    const len = block.length;
    let s = this.#current;
    if (s === null || s.used + len > s.buf.length) {
      s = this.#newSlab(len);
    }
    block.copy(s.buf, s.used);
    p.slab = s;
    p.at = s.used;
    s.used += len;
    s.live += len;
    this.#liveBytes += len;
  }

  /** The entry's block left the cache (evicted, replaced or deleted). */
  release(p: Placed): void {
    const s = p.slab;
    if (s === null) return;
    s.live -= p.blockLen;
    this.#liveBytes -= p.blockLen;
    if (s.live === 0 && s !== this.#current) this.#drop(s);
  }

  /** True when enough slab space is dead that compacting pays. */
  get wasteful(): boolean {
    return this.#slabBytes > 2 * this.#liveBytes + 2 * this.#slabSize;
  }

  /**
   * Moves every entry living in a slab less than half full of live bytes into fresh slabs.
   * `entries` must be every entry placed and not released.
   */
  compact(entries: Iterable<Placed>): void {
    let any = false;
    for (const s of this.#slabs) {
      if (s !== this.#current && s.live * 2 < s.buf.length) s.evacuate = any = true;
    }
    if (!any) return;
    for (const e of entries) {
      const s = e.slab;
      if (s === null || !s.evacuate) continue;
      const block = s.buf.subarray(e.at, e.at + e.blockLen);
      this.release(e);
      this.place(e, block);
    }
    for (const s of this.#slabs) s.evacuate = false;
  }

  /** Forgets every slab (the cache was cleared). */
  reset(): void {
    this.#slabs.clear();
    this.#current = null;
    this.#slabBytes = 0;
    this.#liveBytes = 0;
  }

  /** Bytes of slabs held (what the answers cost in memory) and bytes of live answers in them. */
  get slabBytes(): number {
    return this.#slabBytes;
  }

  get liveBytes(): number {
    return this.#liveBytes;
  }

  #newSlab(len: number): Slab {
    const old = this.#current;
    // Outside Node's shared pool: a slab is long-lived and must not pin pool memory.
    const s = new Slab(Buffer.allocUnsafeSlow(len > this.#slabSize ? len : this.#slabSize));
    this.#slabs.add(s);
    this.#slabBytes += s.buf.length;
    this.#current = s;
    if (old !== null && old.live === 0) this.#drop(old);
    return s;
  }

  #drop(s: Slab): void {
    if (!this.#slabs.delete(s)) return;
    this.#slabBytes -= s.buf.length;
    s.evacuate = false;
    this.released++;
  }
}
