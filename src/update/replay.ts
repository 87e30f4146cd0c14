/**
 * Replay protection for signed updates (RFC 8945 §5.2.3 asks servers to guard against replays
 * within the time window). Every MAC accepted for an UPDATE is remembered for twice the fudge;
 * the same MAC again is a replay. Remembering exact MACs rather than "the last Time Signed per
 * key" never rejects a legitimate request: Kea runs up to 32 transactions at once, and their
 * messages, signed within the same second or one second apart, may arrive out of order.
 */
export class ReplayGuard {
  /** MAC (latin1) → time it may be forgotten, in seconds; insertion order = expiry order. */
  readonly #seen = new Map<string, number>();
  readonly #window: number;
  readonly #max: number;

  /** `windowSeconds`: how long a MAC is remembered (2 × the 300 s fudge by default). */
  constructor(windowSeconds = 600, maxEntries = 100_000) {
    this.#window = windowSeconds;
    this.#max = maxEntries;
  }

  /** Records a MAC from `keyName`; true when it was already seen (a replay). */
  check(keyName: string, mac: Uint8Array, now: number): boolean {
    for (const [k, until] of this.#seen) {
      if (until > now && this.#seen.size < this.#max) break;
      this.#seen.delete(k);
    }
    const id = keyName + '\0' + Buffer.from(mac.buffer, mac.byteOffset, mac.byteLength).toString('latin1');
    if (this.#seen.has(id)) return true;
    this.#seen.set(id, now + this.#window);
    return false;
  }

  get size(): number {
    return this.#seen.size;
  }
}
