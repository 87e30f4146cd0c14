import { createRequire } from 'node:module';
import type { At } from './context.js';
import { int, list, transform, type Validator } from './schema.js';
import { didYouMean } from './suggest.js';
import type { Family, HostAddress, Prefix, SocketAddress } from './types.js';

/**
 * Address, prefix and network-reference validators. Parsing is strict: IPv4 is exactly four
 * decimal parts (no `10.1` or `0x7f.1`, which ipaddr.js would otherwise accept). A prefix with
 * host bits set (`192.168.1.5/24`) is an error that names the intended network, not silently
 * masked: a typo in an ACL should not widen or shift it.
 */

/** Network keywords usable wherever network names are. */
export const BUILTIN_NETWORKS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  any: ['0.0.0.0/0', '::/0'],
  loopback: ['127.0.0.0/8', '::1/128'],
  rfc1918: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'],
  rfc6598: ['100.64.0.0/10'],
  'link-local': ['169.254.0.0/16', 'fe80::/10'],
  ula: ['fc00::/7'],
});

/** Network (and view) names: a letter, then letters, digits, `-` or `_`. */
export const NETWORK_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

// ipaddr.js is CommonJS with `export =`; without esModuleInterop a default import does not type-check.
const ipaddr = createRequire(import.meta.url)('ipaddr.js') as typeof import('ipaddr.js');
type Ip = import('ipaddr.js').IPv4 | import('ipaddr.js').IPv6;
type IPv6 = import('ipaddr.js').IPv6;

function parseIp(text: string): Ip | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (ipaddr.IPv6.isValid(text)) return ipaddr.IPv6.parse(text);
  return undefined;
}

function familyOf(ip: Ip): Family {
  return ip.kind() === 'ipv4' ? 4 : 6;
}

function canonical(ip: Ip): string {
  return ip.kind() === 'ipv4' ? ip.toString() : (ip as IPv6).toRFC5952String();
}

/** A plain IPv4 or IPv6 address (no zone id) in canonical form, or undefined. */
export function hostAddress(text: string): HostAddress | undefined {
  const ip = parseIp(text);
  if (ip === undefined || (ip.kind() === 'ipv6' && (ip as IPv6).zoneId !== undefined)) return undefined;
  return { family: familyOf(ip), address: canonical(ip) };
}

/** `192.168.1.0/24`, `fd00:1::/64`. */
export function prefixText(p: Prefix): string {
  return `${p.address}/${p.length}`;
}

function prefixOf(ip: Ip, length: number): Prefix {
  const bytes = ip.toByteArray();
  return { family: familyOf(ip), address: canonical(ip), length, bytes };
}

function masked(bytes: readonly number[], length: number): number[] {
  return bytes.map((b, i) => {
    const bits = Math.min(8, Math.max(0, length - i * 8));
    return b & ((0xff00 >> bits) & 0xff);
  });
}

/** Parses `a.b.c.d/n`, `x::/n` or a bare address (a /32 or /128); the error text otherwise. */
export function parsePrefix(text: string): Prefix | string {
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (ip === undefined || (ip.kind() === 'ipv6' && (ip as IPv6).zoneId !== undefined)) {
    return 'expected an address or prefix such as 192.168.1.0/24 or fd00::/64';
  }
  const max = ip.kind() === 'ipv4' ? 32 : 128;
  const lengthText = slash < 0 ? String(max) : text.slice(slash + 1);
  const length = /^\d{1,3}$/.test(lengthText) ? Number(lengthText) : -1;
  if (length < 0 || length > max) return `prefix length must be 0..${max}`;
  const bytes = ip.toByteArray();
  const network = masked(bytes, length);
  const p = prefixOf(ipaddr.fromByteArray(network), length);
  if (network.some((b, i) => b !== bytes[i])) return `host bits set (did you mean ${prefixText(p)}?)`;
  return p;
}

/** True when the two prefixes share any address. */
export function overlaps(a: Prefix, b: Prefix): boolean {
  if (a.family !== b.family) return false;
  const length = Math.min(a.length, b.length);
  const ma = masked(a.bytes, length);
  const mb = masked(b.bytes, length);
  return ma.every((x, i) => x === mb[i]);
}

/** A single IP address (IPv6 zone allowed: `fe80::1%eth0`). */
export const address: Validator<HostAddress> = (at) => {
  const v = at.value;
  if (typeof v !== 'string') return at.expected('an IP address');
  const ip = parseIp(v);
  if (ip === undefined) return at.error('expected an IP address such as 192.0.2.1 or 2001:db8::1');
  return { family: familyOf(ip), address: canonical(ip) };
};

/** A prefix or bare address (see `parsePrefix`). */
export const prefix: Validator<Prefix> = (at) => {
  const v = at.value;
  if (typeof v !== 'string') return at.expected('an address or prefix');
  const p = parsePrefix(v);
  return typeof p === 'string' ? at.error(p) : p;
};

/** A port; 0 (pick a free port) only where `allowZero`, for listeners. */
export function port(allowZero = false): Validator<number> {
  return int(allowZero ? 0 : 1, 65535);
}

/** `127.0.0.1:9153` or `[::1]:9153` (port 0 allowed: listeners). */
export const hostPort: Validator<SocketAddress> = (at) => {
  const v = at.value;
  const what = 'an address and port such as 127.0.0.1:9153 or [::1]:9153';
  if (typeof v !== 'string') return at.expected(what);
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(v);
  const ip = m ? parseIp(m[1] ?? m[2]!) : undefined;
  const p = m ? Number(m[3]) : -1;
  if (ip === undefined || (m![1] !== undefined) !== (ip.kind() === 'ipv6')) return at.error(`expected ${what}`);
  if (p > 65535) return at.error('port must be 0..65535');
  return { family: familyOf(ip), address: canonical(ip), port: p };
};

function resolveRef(at: At): Prefix[] | undefined {
  const v = at.value;
  if (typeof v !== 'string') return at.expected('a network name or prefix');
  if (!NETWORK_NAME.test(v)) {
    const p = parsePrefix(v);
    return typeof p === 'string' ? at.error(p) : [p];
  }
  const builtin = BUILTIN_NETWORKS[v];
  if (builtin) return builtin.map((t) => parsePrefix(t) as Prefix);
  if (at.ctx.declared.networks.has(v)) return [...(at.ctx.networks.get(v) ?? [])];
  const names = [...Object.keys(BUILTIN_NETWORKS), ...at.ctx.declared.networks];
  return at.error(`unknown network "${v}"${didYouMean(v, names)}`);
}

/**
 * A list of network names, keywords (`BUILTIN_NETWORKS`) and literal prefixes, flattened into
 * the prefixes they stand for (first occurrence kept).
 */
export function networkRefs(min = 0): Validator<Prefix[]> {
  return transform(list(resolveRef, { min }), (groups) => {
    const seen = new Set<string>();
    const out: Prefix[] = [];
    for (const p of groups.flat()) {
      const key = prefixText(p);
      if (!seen.has(key)) {
        seen.add(key);
        out.push(p);
      }
    }
    return out;
  });
}
