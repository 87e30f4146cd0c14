import { randomFillSync } from 'node:crypto';

/**
 * Query IDs from a pre-filled pool of CSPRNG output (RFC 5452 §9.2): one `randomFillSync` per
 * 4096 IDs instead of a crypto call per query.
 */
const POOL_SIZE = 4096;
const pool = new Uint16Array(POOL_SIZE);
let next = POOL_SIZE;

/** A uniformly random 16-bit query ID. */
export function randomId(): number {
  if (next === POOL_SIZE) {
    randomFillSync(pool);
    next = 0;
  }
  return pool[next++]!;
}
