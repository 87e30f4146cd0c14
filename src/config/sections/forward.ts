import { DEFAULTS } from '../defaults.js';
import { domainName } from '../names.js';
import { duration, int, list, object, required, withDefault } from '../schema.js';
import type { ForwardConfig, UpstreamConfig } from '../types.js';
import { upstream } from './upstream.js';

/**
 * `forward`: where recursive queries go. `upstreams` serve everything not matched by a
 * `domains` entry (longest name wins); `nxdomain` names are answered locally and never leave.
 * An empty `upstreams` means recursive queries outside `domains` get SERVFAIL.
 */

const D = DEFAULTS.forward;

const upstreamList = (min: number) => list(upstream, { min, unique: { key: (u: UpstreamConfig) => u.id, what: 'upstream' } });

const domain = object({ name: required(domainName()), upstreams: required(upstreamList(1)) });

/** Parses `forward`. */
export const parseForward = object(
  {
    upstreams: withDefault(upstreamList(0), D.upstreams),
    timeout: withDefault(duration({ positive: true, max: 30 }), D.timeout),
    attempts: withDefault(int(1, 10), D.attempts),
    domains: withDefault(list(domain, { unique: { key: (d) => d.name, what: 'domain', at: 'name' } }), D.domains),
    nxdomain: withDefault(list(domainName(), { unique: { key: (n) => n, what: 'name' } }), D.nxdomain),
  },
  (v): ForwardConfig => v,
);
