import { networkInterfaces } from 'node:os';
import { hostAddress } from './net.js';
import type { HostAddress, ListenConfig } from './types.js';

/**
 * `forward.upstreams: system`: the nameservers of the host's resolver configuration
 * (resolv.conf(5)), as CoreDNS's `forward . /etc/resolv.conf` uses them. Only `nameserver`
 * lines count; each is asked on port 53 over UDP (TCP on truncation). A file without any
 * nameserver line means the local resolver, 127.0.0.1, as the C library reads it. A nameserver
 * that is this server itself (one of its listeners) is left out: forwarding to ourselves is a loop.
 */

export const RESOLV_CONF_PORT = 53;

export interface ResolvConf {
  /** Usable nameserver addresses in file order, duplicates removed. */
  readonly nameservers: readonly HostAddress[];
  /** Nameserver lines that are not an IP address this server can reach (`fe80::1%eth0`, typos). */
  readonly unusable: readonly string[];
}

/** Reads the `nameserver` lines of resolv.conf text. */
export function parseResolvConf(text: string): ResolvConf {
  const nameservers: HostAddress[] = [];
  const unusable: string[] = [];
  let sawLine = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const m = /^nameserver\s+(\S+)/.exec(line);
    if (m === null) continue;
    sawLine = true;
    const a = hostAddress(m[1]!);
    if (a === undefined) {
      unusable.push(m[1]!);
      continue;
    }
    if (!nameservers.some((n) => n.address === a.address)) nameservers.push(a);
  }
  if (!sawLine) nameservers.push({ family: 4, address: '127.0.0.1' });
  return { nameservers, unusable };
}

/**
 * Whether a DNS server at `ns`:53 would be this server: a listener on that address and port, or
 * a wildcard listener on port 53 (0.0.0.0, ::) and `ns` one of this host's own addresses.
 * Listeners on port 0 (an ephemeral port) cannot be port 53.
 */
export function isSelf(ns: HostAddress, listen: readonly ListenConfig[], local: () => ReadonlySet<string> = localAddresses): boolean {
  for (const l of listen) {
    if (l.port !== RESOLV_CONF_PORT) continue;
    if (l.address === ns.address) return true;
    const wildcard = l.address === '0.0.0.0' ? ns.family === 4 : l.address === '::';
    if (wildcard && local().has(ns.address)) return true;
  }
  return false;
}

/** This host's addresses (every interface), canonical text, loopback ranges included. */
function localAddresses(): ReadonlySet<string> {
  const out = new Set<string>(['::1']);
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) {
      const a = hostAddress(i.address.replace(/%.*$/, ''));
      if (a !== undefined) out.add(a.address);
    }
  }
  return {
    has: (a: string) => out.has(a) || a.startsWith('127.'),
  } as ReadonlySet<string>;
}
