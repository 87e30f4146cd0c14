import { EdnsOption } from './constants.js';

/**
 * Checks the options in an OPT record's RDATA the way BIND does before answering, returning
 * why they are malformed (the query then gets FORMERR) or '' when they are fine:
 *
 * - the options must fill the RDATA exactly (no option running past it, no stray bytes);
 * - COOKIE (RFC 7873 §5.2.2): 8 bytes (client cookie only) or 16..40 (with a server cookie);
 * - EDNS Client Subnet (RFC 7871 §6): family 1 or 2 (0 only as 0/0), SOURCE PREFIX-LENGTH at
 *   most 32 / 128, exactly ceil(source/8) address bytes, no bits set beyond the prefix, and in
 *   a query SCOPE PREFIX-LENGTH 0 (§7.1.1);
 * - TCP keepalive (RFC 7828 §3.2.1): empty in a query.
 *
 * `query` is false for responses (an upstream's ECS carries a scope). No allocation.
 */
export function checkEdnsOptions(buf: Uint8Array, start: number, len: number, query: boolean): string {
  let p = start;
  const end = start + len;
  while (p < end) {
    if (p + 4 > end) return 'EDNS option header runs past the OPT record';
    const code = (buf[p]! << 8) | buf[p + 1]!;
    const l = (buf[p + 2]! << 8) | buf[p + 3]!;
    const at = p + 4;
    if (at + l > end) return 'EDNS option runs past the OPT record';
    if (code === EdnsOption.Cookie) {
      if (l < 8 || l > 40 || (l > 8 && l < 16)) return `COOKIE option of ${l} bytes`;
    } else if (code === EdnsOption.ClientSubnet) {
      const why = checkClientSubnet(buf, at, l, query);
      if (why !== '') return why;
    } else if (code === EdnsOption.TcpKeepalive) {
      if (query && l !== 0) return 'TCP keepalive option with a timeout in a query';
    }
    p = at + l;
  }
  return '';
}

const ECS_MAX_SOURCE = [0, 32, 128] as const;

function checkClientSubnet(buf: Uint8Array, at: number, l: number, query: boolean): string {
  if (l < 4) return 'client subnet option shorter than 4 bytes';
  const family = (buf[at]! << 8) | buf[at + 1]!;
  const source = buf[at + 2]!;
  const scope = buf[at + 3]!;
  if (family > 2) return `client subnet family ${family}`;
  const max = ECS_MAX_SOURCE[family]!;
  if (source > max) return `client subnet source prefix /${source} for family ${family}`;
  if (query && scope !== 0) return 'client subnet scope prefix is not 0 in a query';
  if (scope > max) return `client subnet scope prefix /${scope} for family ${family}`;
  const bytes = (source + 7) >>> 3;
  if (l - 4 !== bytes) return `client subnet address of ${l - 4} bytes for a /${source} prefix`;
  if (bytes > 0 && (source & 7) !== 0) {
    const mask = 0xff >>> (source & 7);
    if ((buf[at + 4 + bytes - 1]! & mask) !== 0) return 'client subnet address has bits set beyond its prefix';
  }
  return '';
}
