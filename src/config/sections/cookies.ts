import { DEFAULTS } from '../defaults.js';
import { bool, object, optional, str, withDefault } from '../schema.js';
import type { CookiesConfig } from '../types.js';

/**
 * `cookies`: DNS cookies (RFC 7873) with RFC 9018 server cookies (SipHash-2-4 under `secret`).
 * Replicas that share `secret` accept each other's cookies; to rotate, move the old value to
 * `previousSecret` and set a new `secret` on every replica. Without `secret` each process picks a
 * random one at start (kept across reloads, not shared).
 */

const D = DEFAULTS.cookies;
const hexSecret = str({ pattern: /^[0-9a-fA-F]{32}$/, what: '32 hex digits (a 128-bit secret)' });

/** Parses `cookies`. */
export const parseCookies = object(
  {
    enabled: withDefault(bool, D.enabled),
    secret: optional(hexSecret),
    previousSecret: optional(hexSecret),
    requireServerCookie: withDefault(bool, D.requireServerCookie),
  },
  (v): CookiesConfig => ({
    enabled: v.enabled,
    secret: v.secret?.toLowerCase() ?? null,
    previousSecret: v.previousSecret?.toLowerCase() ?? null,
    requireServerCookie: v.requireServerCookie,
  }),
);
