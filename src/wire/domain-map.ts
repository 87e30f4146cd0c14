import { nameToWire } from './name.js';

interface Slot<T> {
  /** Lower-cased wire form of the configured name. */
  wire: Uint8Array;
  value: T;
  /** Next slot with the same hash. */
  next: Slot<T> | null;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** Table keys stay small integers (no boxed numbers on lookup). */
const SMI_MASK = 0x3fffffff;

function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

/**
 * Domain → value with longest-suffix matching, compiled at load and read per query without
 * allocating (no list scans per query). A lookup walks the query's wire
 * QNAME once from the right, hashing each suffix as it grows by a label, and probes the table at
 * every label boundary; the deepest configured name that matches wins.
 */
export class DomainMap<T> {
  readonly #slots = new Map<number, Slot<T>>();
  readonly #starts = new Int32Array(128);
  #count = 0;

  /** Number of names configured. */
  get size(): number {
    return this.#count;
  }

  /** Adds (or replaces) a presentation-format name, matched case-insensitively with its subtree. */
  set(name: string, value: T): void {
    const raw = nameToWire(name.endsWith('.') ? name : name + '.');
    const wire = new Uint8Array(raw.length);
    let h = FNV_OFFSET;
    for (let i = raw.length - 1; i >= 0; i--) {
      wire[i] = lower(raw[i]!);
      h = Math.imul(h ^ wire[i]!, FNV_PRIME);
    }
    h &= SMI_MASK;
    for (let s = this.#slots.get(h) ?? null; s !== null; s = s.next) {
      if (sameWire(s.wire, wire, 0, wire.length - 1)) {
        s.value = value;
        return;
      }
    }
    this.#slots.set(h, { wire, value, next: this.#slots.get(h) ?? null });
    this.#count++;
  }

  /**
   * The value of the longest configured name equal to or above the uncompressed wire name at
   * `buf[start..]` (a question's QNAME), or undefined.
   */
  match(buf: Uint8Array, start: number): T | undefined {
    const starts = this.#starts;
    let n = 0;
    let p = start;
    const len = buf.length;
    while (p < len && buf[p] !== 0 && n < starts.length) {
      starts[n++] = p;
      p += buf[p]! + 1;
    }
    if (p >= len || buf[p] !== 0) return undefined;
    const end = p;
    let h = Math.imul(FNV_OFFSET ^ 0, FNV_PRIME);
    let best = this.#probe(h, buf, end, end);
    let hi = end - 1;
    for (let k = n - 1; k >= 0; k--) {
      const s = starts[k]!;
      for (let i = hi; i >= s; i--) h = Math.imul(h ^ lower(buf[i]!), FNV_PRIME);
      hi = s - 1;
      const hit = this.#probe(h, buf, s, end);
      if (hit !== undefined) best = hit;
    }
    return best;
  }

  /** `match` for a presentation-format name (cold paths and tests). */
  matchName(name: string): T | undefined {
    return this.match(nameToWire(name.endsWith('.') ? name : name + '.'), 0);
  }

  #probe(h: number, buf: Uint8Array, from: number, end: number): T | undefined {
    for (let s = this.#slots.get(h & SMI_MASK) ?? null; s !== null; s = s.next) {
      if (s.wire.length === end - from + 1 && sameWire(s.wire, buf, from, end)) return s.value;
    }
    return undefined;
  }
}

/** Compares a lower-case wire name with buf[from..end] ignoring ASCII case. */
function sameWire(wire: Uint8Array, buf: Uint8Array, from: number, end: number): boolean {
  if (wire.length !== end - from + 1) return false;
  for (let i = 0; i < wire.length; i++) if (wire[i] !== lower(buf[from + i]!)) return false;
  return true;
}
