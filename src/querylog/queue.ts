import { dropRows, type Batch } from './record.js';

/**
 * The bounded queue between the answer path and one sink: batches wait here while the sink is
 * busy or down. Past `maxRows` the oldest batches are dropped and counted, so memory stays
 * bounded and the newest records are the ones kept.
 */
export class SinkQueue {
  readonly #maxRows: number;
  readonly #batches: Batch[] = [];
  #head = 0;
  #rows = 0;
  /** Rows dropped because the queue was full. */
  dropped = 0;

  constructor(maxRows: number) {
    this.#maxRows = maxRows;
  }

  /** Rows waiting. */
  get rows(): number {
    return this.#rows;
  }

  get empty(): boolean {
    return this.#head === this.#batches.length;
  }

  push(batch: Batch): void {
    this.#batches.push(batch);
    this.#rows += batch.rows;
    while (this.#rows > this.#maxRows && !this.empty) {
      const excess = this.#rows - this.#maxRows;
      const old = this.#batches[this.#head]!;
      if (old.rows <= excess) {
        this.shift();
        this.dropped += old.rows;
      } else {
        // Cut the oldest rows off the front of the oldest batch.
        this.#batches[this.#head] = dropRows(old, excess);
        this.#rows -= excess;
        this.dropped += excess;
      }
    }
  }

  shift(): Batch | undefined {
    if (this.empty) return undefined;
    const b = this.#batches[this.#head]!;
    this.#batches[this.#head++] = undefined as unknown as Batch;
    this.#rows -= b.rows;
    if (this.#head > 64 && this.#head * 2 > this.#batches.length) {
      this.#batches.splice(0, this.#head);
      this.#head = 0;
    }
    return b;
  }

  /** Drops everything waiting (counted), e.g. when the sink is closed for good. */
  clear(): number {
    let n = 0;
    while (!this.empty) n += this.shift()!.rows;
    this.dropped += n;
    return n;
  }
}
