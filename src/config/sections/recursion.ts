import { DEFAULTS } from '../defaults.js';
import { networkRefs } from '../net.js';
import { object, withDefault } from '../schema.js';
import type { RecursionConfig } from '../types.js';

/**
 * `recursion`: which clients get answers from the cache and upstreams. Everyone else gets only
 * authoritative data (REFUSED otherwise), so horizond is never an open resolver by default.
 */

/** Parses `recursion`. */
export const parseRecursion = object(
  { allow: withDefault(networkRefs(), DEFAULTS.recursion.allow) },
  (v): RecursionConfig => v,
);
