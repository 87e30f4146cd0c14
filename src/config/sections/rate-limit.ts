import { DEFAULTS } from '../defaults.js';
import { networkRefs } from '../net.js';
import { bool, int, num, object, oneOf, withDefault } from '../schema.js';
import type { RateLimitAction, RateLimitConfig } from '../types.js';

/**
 * `rateLimit`: queries per second per client prefix (a token bucket per IPv4 /24 and IPv6 /56 by
 * default), with a burst. Past the limit: TC=1 over UDP (a real client retries over TCP, a
 * spoofed flood gets nothing bigger than its query) or REFUSED. The site's own networks are
 * exempt by default; a client that shows a valid DNS server cookie is never limited.
 */

const D = DEFAULTS.rateLimit;
const ACTIONS: readonly RateLimitAction[] = ['truncate', 'refuse'];

/** Parses `rateLimit`. */
export const parseRateLimit = object(
  {
    enabled: withDefault(bool, D.enabled),
    queriesPerSecond: withDefault(num(0, 1_000_000, true), D.queriesPerSecond),
    burst: withDefault(int(1, 10_000_000), D.burst),
    ipv4Prefix: withDefault(int(8, 32), D.ipv4Prefix),
    ipv6Prefix: withDefault(int(16, 128), D.ipv6Prefix),
    action: withDefault(oneOf(ACTIONS), D.action),
    exempt: withDefault(networkRefs(), D.exempt),
  },
  (v): RateLimitConfig => v,
);
