import { MAX_CONFIG_BYTES, readRegularFile } from '../../util/regular-file.js';
import type { At } from '../context.js';
import { DEFAULTS } from '../defaults.js';
import { fileReason } from '../files.js';
import { domainName } from '../names.js';
import { isSelf, parseResolvConf, RESOLV_CONF_PORT } from '../resolv-conf.js';
import { described, describe, duration, int, list, object, optional, path, required, withDefault, type Validator } from '../schema.js';
import type { ForwardConfig, ListenConfig, UpstreamConfig } from '../types.js';
import { udpUpstream, upstream } from './upstream.js';

/**
 * `forward`: where recursive queries go. `upstreams` serve everything not matched by a
 * `domains` entry (longest name wins); `nxdomain` names are answered locally and never leave.
 * An empty `upstreams` means recursive queries outside `domains` get SERVFAIL.
 * `upstreams: system` takes the nameservers of `resolvConf` (see resolv-conf.ts); the ones that
 * are this server itself are left out once the listeners are known (`withoutSelf`).
 */

const D = DEFAULTS.forward;

const upstreamList = (min: number) => list(upstream, { min, unique: { key: (u: UpstreamConfig) => u.id, what: 'upstream' } });

const domain = object({ name: required(domainName()), upstreams: required(upstreamList(1)) });

const SYSTEM = 'system';

/** A list of upstreams, or `system`. */
const upstreamsOrSystem: Validator<UpstreamConfig[] | typeof SYSTEM> = described(describe((at: At) => {
  if (at.value === SYSTEM) return SYSTEM;
  if (typeof at.value === 'string') return at.error(`expected a list of upstreams or "${SYSTEM}" (the nameservers of resolv.conf)`);
  return upstreamList(0)(at);
}, { anyOf: [{ const: SYSTEM, description: 'the nameservers of forward.resolvConf' }, upstreamList(0).schema!] }), upstreamList(0).spec!); // tools reading the definition see the list form

/** The nameservers of a resolv.conf as upstreams (before leaving out this server). */
function readSystem(file: string, at: At): { servers: UpstreamConfig[]; unusable: string[] } | undefined {
  let text: string;
  try {
    text = readRegularFile(file, MAX_CONFIG_BYTES).toString('utf8');
  } catch (err) {
    return at.error(`cannot read ${file}: ${fileReason(err)}`);
  }
  const conf = parseResolvConf(text);
  return {
    servers: conf.nameservers.map((a) => udpUpstream(a, RESOLV_CONF_PORT)),
    unusable: conf.unusable.map((n) => `${n}: not a plain IP address`),
  };
}

/** Parses `forward`. */
export const parseForward = object(
  {
    upstreams: withDefault(upstreamsOrSystem, D.upstreams),
    resolvConf: optional(path),
    timeout: withDefault(duration({ positive: true, max: 30 }), D.timeout),
    attempts: withDefault(int(1, 10), D.attempts),
    domains: withDefault(list(domain, { unique: { key: (d) => d.name, what: 'domain', at: 'name' } }), D.domains),
    nxdomain: withDefault(list(domainName(), { unique: { key: (n) => n, what: 'name' } }), D.nxdomain),
  },
  (v, at): ForwardConfig | undefined => {
    const { upstreams, resolvConf, ...rest } = v;
    if (upstreams !== SYSTEM) {
      if (resolvConf !== undefined) return at.child('resolvConf').error(`is only used with upstreams: ${SYSTEM}`);
      return { ...rest, upstreams, system: null };
    }
    const file = resolvConf ?? D.resolvConf;
    const read = readSystem(file, resolvConf === undefined ? at.child('upstreams') : at.child('resolvConf'));
    if (read === undefined) return undefined;
    return { ...rest, upstreams: read.servers, system: { resolvConf: file, skipped: read.unusable } };
  },
);

/**
 * Leaves out the `system` nameservers that are this server (a listener on that address and port
 * 53, or a wildcard one on this host): forwarding there would loop. Cross-section, so the loader
 * calls it once `server.listen` is known.
 */
export function withoutSelf(forward: ForwardConfig, listen: readonly ListenConfig[]): ForwardConfig {
  if (forward.system === null) return forward;
  const upstreams: UpstreamConfig[] = [];
  const skipped = [...forward.system.skipped];
  for (const u of forward.upstreams) {
    if (isSelf(u.address!, listen)) skipped.push(`${u.address!.address}: this server (a forwarding loop)`);
    else upstreams.push(u);
  }
  return { ...forward, upstreams, system: { ...forward.system, skipped } };
}
