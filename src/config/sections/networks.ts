import type { At } from '../context.js';
import { BUILTIN_NETWORKS, NETWORK_NAME, prefix } from '../net.js';
import { describe, dict, list } from '../schema.js';
import type { Prefix } from '../types.js';

/**
 * `networks`: named lists of prefixes (or bare addresses), referenced by name from
 * `recursion.allow`, `views.list[].match`, `views.trustedForwarders`, `zones[].update.networks`
 * and `rebinding.privateNetworks`. The built-in keywords (net.ts) cannot be redefined.
 */

const validate = dict(list(prefix, { min: 1 }), {
  pattern: NETWORK_NAME,
  what: 'a network name (a letter, then letters, digits, "-" or "_")',
  reserved: new Set(Object.keys(BUILTIN_NETWORKS)),
});

/** Parses the section and records each network's prefixes for later references. */
export const parseNetworks = describe((at: At): Record<string, readonly Prefix[]> | undefined => {
  const networks = validate(at);
  if (networks) for (const [name, prefixes] of Object.entries(networks)) at.ctx.networks.set(name, prefixes);
  return networks;
}, validate.schema!);
