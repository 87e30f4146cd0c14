import { DEFAULTS } from '../defaults.js';
import { domainName } from '../names.js';
import { networkRefs } from '../net.js';
import { bool, list, object, withDefault } from '../schema.js';
import type { RebindingConfig } from '../types.js';

/**
 * `rebinding`: DNS rebinding protection. Upstream answers that put a name outside
 * `privateDomains` on an address in `privateNetworks` are refused. load.ts adds the
 * `forward.domains` names to `privateDomains`: conditional forwarding targets are internal.
 */

const D = DEFAULTS.rebinding;

/** Parses `rebinding`. */
export const parseRebinding = object(
  {
    enabled: withDefault(bool, D.enabled),
    privateDomains: withDefault(list(domainName(true), { unique: { key: (n) => n, what: 'domain' } }), D.privateDomains),
    privateNetworks: withDefault(networkRefs(), D.privateNetworks),
  },
  (v): RebindingConfig => v,
);
