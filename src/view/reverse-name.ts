import { addressBits, formatAddress, parseAddress, type Family } from './address.js';
import { HzError } from '../errors/index.js';

/**
 * Reverse-mapping names (RFC 1035 §3.5 `in-addr.arpa.`, RFC 3596 §2.5 nibble `ip6.arpa.`) to and
 * from addresses. Names are presentation form, lower case on output, trailing dot included;
 * parsing is case-insensitive and takes the name with or without the trailing dot.
 */

const V4_SUFFIX = 'in-addr.arpa';
const V6_SUFFIX = 'ip6.arpa';

/** A reverse name read back: the network it names and how many leading bits it fixes. */
export interface ReversePrefix {
  family: Family;
  /** 4 or 16 bytes; bits past `bits` are zero. */
  bytes: Uint8Array;
  /** 32 / 128 for a full address, less for a name above one (`2.0.192.in-addr.arpa.` → 24). */
  bits: number;
}

/**
 * The reverse name of the first `bits` bits of an address given as 4 or 16 bytes
 * (`[192,0,2,1]` → `1.2.0.192.in-addr.arpa.`). `bits` must be a multiple of 8 for IPv4 and of
 * 4 for IPv6 (classless RFC 2317 names are a zone-data convention, not produced here).
 */
export function reverseName(address: ArrayLike<number>, bits?: number): string {
  if (address.length !== 4 && address.length !== 16) throw new HzError('HZ_ERR_INVALID_ARGUMENT', `view: an address has 4 or 16 bytes, got ${address.length}`);
  const family: Family = address.length === 4 ? 4 : 6;
  const n = bits ?? addressBits(family);
  const step = family === 4 ? 8 : 4;
  if (!Number.isInteger(n) || n < 0 || n > addressBits(family) || n % step !== 0) {
    throw new HzError('HZ_ERR_INVALID_ARGUMENT', `view: reverse name of IPv${family} needs a bit count 0..${addressBits(family)} in steps of ${step}, got ${n}`);
  }
  let out = '';
  if (family === 4) {
    for (let i = n / 8 - 1; i >= 0; i--) out += `${address[i]}.`;
    return out + V4_SUFFIX + '.';
  }
  for (let i = n / 4 - 1; i >= 0; i--) {
    const byte = address[i >>> 1]!;
    out += ((i & 1) === 0 ? byte >>> 4 : byte & 15).toString(16) + '.';
  }
  return out + V6_SUFFIX + '.';
}

/** The reverse name of an address in text form. Throws RangeError if it is not an address. */
export function addressToReverseName(address: string): string {
  const b = new Uint8Array(16);
  const family = parseAddress(address, b);
  if (family === 0) throw new HzError('HZ_ERR_INVALID_ARGUMENT', `view: not an IP address: "${address}"`);
  return reverseName(family === 4 ? b.subarray(0, 4) : b);
}

function decimalOctet(label: string): number {
  if (label.length === 0 || label.length > 3 || (label.length > 1 && label.charCodeAt(0) === 0x30)) return -1;
  let v = 0;
  for (let i = 0; i < label.length; i++) {
    const c = label.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    v = v * 10 + c - 0x30;
  }
  return v > 255 ? -1 : v;
}

function hexNibble(label: string): number {
  if (label.length !== 1) return -1;
  const c = label.charCodeAt(0);
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

/**
 * Reads a name under `in-addr.arpa.` or `ip6.arpa.` back into the network it names. Null when
 * the name is not under either, has too many labels, or a label is not a plain decimal octet
 * (IPv4, no leading zeros) or a single hex digit (IPv6).
 */
export function parseReverseName(name: string): ReversePrefix | null {
  let text = name.endsWith('.') ? name.slice(0, -1) : name;
  text = text.toLowerCase();
  let family: Family;
  let suffix: string;
  if (text.endsWith(V4_SUFFIX)) {
    family = 4;
    suffix = V4_SUFFIX;
  } else if (text.endsWith(V6_SUFFIX)) {
    family = 6;
    suffix = V6_SUFFIX;
  } else {
    return null;
  }
  const bytes = new Uint8Array(family === 4 ? 4 : 16);
  if (text.length === suffix.length) return { family, bytes, bits: 0 };
  if (text.charCodeAt(text.length - suffix.length - 1) !== 0x2e) return null;
  const labels = text.slice(0, text.length - suffix.length - 1).split('.');
  const n = labels.length;
  if (family === 4) {
    if (n > 4) return null;
    for (let i = 0; i < n; i++) {
      const v = decimalOctet(labels[n - 1 - i]!);
      if (v < 0) return null;
      bytes[i] = v;
    }
    return { family, bytes, bits: n * 8 };
  }
  if (n > 32) return null;
  for (let i = 0; i < n; i++) {
    const v = hexNibble(labels[n - 1 - i]!);
    if (v < 0) return null;
    bytes[i >>> 1] |= (i & 1) === 0 ? v << 4 : v;
  }
  return { family, bytes, bits: n * 4 };
}

/** The address a full reverse name stands for, in text form; null for anything else. */
export function reverseNameToAddress(name: string): string | null {
  const p = parseReverseName(name);
  if (p === null || p.bits !== addressBits(p.family)) return null;
  return formatAddress(p.bytes, p.family);
}
