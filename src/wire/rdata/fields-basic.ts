import { WireError } from '../errors.js';
import type { FieldCodec } from './field.js';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from './ip.js';

/** Fixed-size numeric and address fields. */

function need(pos: number, end: number, n: number, what: string): number {
  if (pos + n > end) throw new WireError(`rdata too short for ${what}`, pos);
  return pos + n;
}

function uint(size: 1 | 2 | 4): FieldCodec {
  const max = size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
  return {
    span: (_b, pos, end) => need(pos, end, size, `a ${size * 8}-bit field`),
    parse(cur, out, label) {
      const v = cur.int(cur.next(label), max, label);
      if (size === 1) out.u8(v); else if (size === 2) out.u16(v); else out.u32(v);
    },
    print: (b, pos) => String(readUint(b, pos, size)),
  };
}

function readUint(b: Uint8Array, pos: number, size: number): number {
  let v = 0;
  for (let i = 0; i < size; i++) v = v * 256 + b[pos + i]!;
  return v;
}

export const u8 = uint(1);
export const u16 = uint(2);
export const u32 = uint(4);

const ttlUnits: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** Parses `3600` or BIND's unit form `1h30m` / `1W`; undefined when malformed or > 2^32-1. */
export function parseTtlText(s: string): number | undefined {
  if (/^\d+$/.test(s)) {
    const v = Number(s);
    return v <= 0xffffffff ? v : undefined;
  }
  if (!/^(\d+[smhdwSMHDW])+$/.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(/(\d+)([smhdwSMHDW])/g)) total += Number(m[1]) * ttlUnits[m[2]!.toLowerCase()]!;
  return total <= 0xffffffff ? total : undefined;
}

/** 32-bit period (SOA refresh/retry/expire/minimum): accepts TTL units, prints seconds. */
export const period: FieldCodec = {
  span: u32.span,
  parse(cur, out, label) {
    const t = cur.next(label);
    const v = parseTtlText(t.text);
    if (v === undefined) return cur.fail(t, `"${t.text}" is not a valid ${label}`);
    out.u32(v);
  },
  print: u32.print,
};

export const ipv4: FieldCodec = {
  span: (_b, pos, end) => need(pos, end, 4, 'an IPv4 address'),
  parse(cur, out, label) {
    const t = cur.next(label);
    const a = parseIPv4(t.text);
    if (!a) return cur.fail(t, `"${t.text}" is not an IPv4 address`);
    out.bytes(a);
  },
  print: (b, pos) => formatIPv4(b, pos),
};

export const ipv6: FieldCodec = {
  span: (_b, pos, end) => need(pos, end, 16, 'an IPv6 address'),
  parse(cur, out, label) {
    const t = cur.next(label);
    const a = parseIPv6(t.text);
    if (!a) return cur.fail(t, `"${t.text}" is not an IPv6 address`);
    out.bytes(a);
  },
  print: (b, pos) => formatIPv6(b, pos),
};

/** A u8 or u16 with a mnemonic table: accepts both, prints the mnemonic when `printNames`. */
export function mnemonic(size: 1 | 2, names: Record<number, string>, printNames: boolean): FieldCodec {
  const base = uint(size);
  const byName = new Map<string, number>();
  for (const [k, v] of Object.entries(names)) byName.set(v, Number(k));
  return {
    span: base.span,
    parse(cur, out, label) {
      const t = cur.next(label);
      const v = byName.get(t.text.toUpperCase()) ?? cur.int(t, size === 1 ? 0xff : 0xffff, label);
      if (size === 1) out.u8(v); else out.u16(v);
    },
    print: (b, pos) => {
      const v = readUint(b, pos, size);
      return (printNames ? names[v] : undefined) ?? String(v);
    },
  };
}

/** DNSSEC algorithm numbers (RFC 4034 App. A.1 and later registrations). */
export const secAlgNames: Record<number, string> = {
  1: 'RSAMD5', 2: 'DH', 3: 'DSA', 5: 'RSASHA1', 6: 'NSEC3DSA', 7: 'NSEC3RSASHA1', 8: 'RSASHA256',
  10: 'RSASHA512', 12: 'ECCGOST', 13: 'ECDSAP256SHA256', 14: 'ECDSAP384SHA384', 15: 'ED25519',
  16: 'ED448', 252: 'INDIRECT', 253: 'PRIVATEDNS', 254: 'PRIVATEOID',
};

/** DNSKEY/DS/RRSIG algorithm: mnemonic accepted, number printed (as BIND does). */
export const secAlg = mnemonic(1, secAlgNames, false);
/** CERT algorithm: printed as a mnemonic (as BIND does). */
export const certAlg = mnemonic(1, secAlgNames, true);
/** CERT type (RFC 4398 §2.1). */
export const certType = mnemonic(2, {
  1: 'PKIX', 2: 'SPKI', 3: 'PGP', 4: 'IPKIX', 5: 'ISPKI', 6: 'IPGP', 7: 'ACPKIX', 8: 'IACPKIX',
  253: 'URI', 254: 'OID',
}, true);

/** EUI-48/EUI-64 (RFC 7043): `00-00-5e-00-53-2a`. */
export function eui(size: 6 | 8): FieldCodec {
  const re = new RegExp(`^[0-9a-fA-F]{2}(-[0-9a-fA-F]{2}){${size - 1}}$`);
  return {
    span: (_b, pos, end) => need(pos, end, size, `an EUI-${size * 8}`),
    parse(cur, out, label) {
      const t = cur.next(label);
      if (!re.test(t.text)) return cur.fail(t, `"${t.text}" is not an EUI-${size * 8} address`);
      out.bytes(Buffer.from(t.text.replace(/-/g, ''), 'hex'));
    },
    print: (b, pos) => Buffer.from(b.subarray(pos, pos + size)).toString('hex').replace(/(..)(?!$)/g, '$1-'),
  };
}
