import { isIP } from 'node:net';
import { unmapIPv4 } from './address.js';

/**
 * The client behind trusted reverse proxies (DoH through Traefik, nginx...). Only called when
 * the TCP peer is a trusted proxy. The hops of `Forwarded` (RFC 7239, preferred when present)
 * or else `X-Forwarded-For` are walked from the right, the one nearest to us: trusted proxies
 * are skipped, and the first address that is not one is the client. The hops to its left were
 * written by the client or by untrusted parties and are never believed. An entry that is not
 * an address (`unknown`, an obfuscated `_name`, garbage) stops the walk: the client is then the
 * last proxy seen. All hops trusted: the leftmost. No usable header: null (the peer is the
 * client).
 */
export function forwardedClient(
  forwarded: string | string[] | undefined,
  xForwardedFor: string | string[] | undefined,
  trusted: (address: string) => boolean,
): string | null {
  const hops = forwarded !== undefined ? forwardedFor(join(forwarded)) : xForwardedFor !== undefined ? xffHops(join(xForwardedFor)) : null;
  if (hops === null || hops.length === 0) return null;
  let last: string | null = null;
  for (let i = hops.length - 1; i >= 0; i--) {
    const a = hops[i]!;
    if (a === null) return last;
    if (!trusted(a)) return a;
    last = a;
  }
  return last;
}

function join(v: string | string[]): string {
  return Array.isArray(v) ? v.join(',') : v;
}

/** `X-Forwarded-For: client, proxy1, proxy2` → addresses (null for entries that are not one). */
function xffHops(text: string): (string | null)[] {
  return text.split(',').map((s) => address(s.trim()));
}

/**
 * RFC 7239 `Forwarded: for=192.0.2.60;proto=https;by=203.0.113.43, for="[2001:db8::1]:4711"`
 * → the `for` of each element (null when an element has none or it is not an address).
 */
function forwardedFor(text: string): (string | null)[] {
  const out: (string | null)[] = [];
  for (const element of splitOutsideQuotes(text, ',')) {
    let found: string | null = null;
    for (const pair of splitOutsideQuotes(element, ';')) {
      const eq = pair.indexOf('=');
      if (eq < 0) continue;
      if (pair.slice(0, eq).trim().toLowerCase() !== 'for') continue;
      let v = pair.slice(eq + 1).trim();
      if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
      found = address(v);
      break;
    }
    if (element.trim() !== '') out.push(found);
  }
  return out;
}

function splitOutsideQuotes(text: string, sep: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === sep && !quoted) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/**
 * An address from a hop: `192.0.2.1`, `192.0.2.1:8080`, `[2001:db8::1]`, `[2001:db8::1]:4711`,
 * `2001:db8::1`; IPv4-mapped IPv6 is unmapped. Null when it is none of these.
 */
function address(v: string): string | null {
  let a = v;
  if (a.startsWith('[')) {
    const end = a.indexOf(']');
    if (end < 0) return null;
    a = a.slice(1, end);
  } else if (a.indexOf(':') === a.lastIndexOf(':') && a.includes(':')) {
    a = a.slice(0, a.indexOf(':')); // IPv4 with a port
  }
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  if (isIP(a) === 0) return null;
  return unmapIPv4(a.toLowerCase());
}
