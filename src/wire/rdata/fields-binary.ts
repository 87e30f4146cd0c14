import { WireError } from '../errors.js';
import { chunk56, type FieldCodec } from './field.js';
import type { TextCursor } from './text-cursor.js';
import type { Token } from './text-error.js';

/** Opaque binary fields: base64 / hex to the end of RDATA, length-prefixed hex and base32hex. */

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict base64 (padding required) → bytes, or null. */
export function decodeBase64(s: string): Uint8Array | null {
  return B64.test(s) ? Buffer.from(s, 'base64') : null;
}

/** Concatenates the remaining tokens (BIND allows spaces inside base64/hex blobs). */
function joined(cur: TextCursor, label: string, required: boolean): { text: string; tok: Token | null } {
  if (cur.done) {
    if (required) cur.next(label); // throws "missing ..."
    return { text: '', tok: null };
  }
  const rest = cur.rest();
  return { text: rest.map((t) => t.text).join(''), tok: rest[0]! };
}

/** Base64 to the end of RDATA (DNSKEY key, RRSIG signature, DHCID, OPENPGPKEY, CERT). */
export function base64Rest(required: boolean): FieldCodec {
  return {
    span: (_b, _pos, end) => end,
    parse(cur, out, label) {
      const { text, tok } = joined(cur, label, required);
      if (tok === null) return;
      const v = decodeBase64(text);
      if (v === null) return cur.fail(tok, `${label} is not valid base64`);
      out.bytes(v);
    },
    print: (b, pos, end) => chunk56(Buffer.from(b.subarray(pos, end)).toString('base64')),
  };
}

/** Hex to the end of RDATA (DS digest, SSHFP fingerprint, TLSA data, ZONEMD digest). */
export const hexRest: FieldCodec = {
  span: (_b, _pos, end) => end,
  parse(cur, out, label) {
    const { text, tok } = joined(cur, label, true);
    if (!/^(?:[0-9a-fA-F]{2})*$/.test(text)) return cur.fail(tok, `${label} is not valid hex`);
    out.bytes(Buffer.from(text, 'hex'));
  },
  print: (b, pos, end) => chunk56(Buffer.from(b.subarray(pos, end)).toString('hex').toUpperCase()),
};

function spanLen8(b: Uint8Array, pos: number, end: number, min: number): number {
  if (pos >= end) throw new WireError('rdata too short for a length-prefixed field', pos);
  const len = b[pos]!;
  if (len < min) throw new WireError('empty length-prefixed field in rdata', pos);
  if (pos + 1 + len > end) throw new WireError('length-prefixed field runs past the end of rdata', pos);
  return pos + 1 + len;
}

/** NSEC3/NSEC3PARAM salt: u8 length + bytes; `-` for none, else hex. */
export const salt: FieldCodec = {
  span: (b, pos, end) => spanLen8(b, pos, end, 0),
  parse(cur, out, label) {
    const t = cur.next(label);
    if (t.text === '-') { out.u8(0); return; }
    if (!/^(?:[0-9a-fA-F]{2}){1,255}$/.test(t.text)) return cur.fail(t, `"${t.text}" is not a valid ${label} (hex or -)`);
    out.u8(t.text.length / 2);
    out.bytes(Buffer.from(t.text, 'hex'));
  },
  print: (b, pos) => (b[pos] === 0 ? '-' : Buffer.from(b.subarray(pos + 1, pos + 1 + b[pos]!)).toString('hex').toUpperCase()),
};

const B32 = '0123456789ABCDEFGHIJKLMNOPQRSTUV';

/** RFC 4648 base32hex without padding (NSEC3 next hashed owner name). */
export function encodeBase32Hex(b: Uint8Array): string {
  let s = '';
  let acc = 0;
  let bits = 0;
  for (const x of b) {
    acc = (acc << 8) | x;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      s += B32[(acc >>> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) s += B32[(acc << (5 - bits)) & 31];
  return s;
}

export function decodeBase32Hex(s: string): Uint8Array | null {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const ch of s.toUpperCase()) {
    const v = B32.indexOf(ch);
    if (v < 0) return null;
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >>> bits) & 0xff);
      acc &= (1 << bits) - 1;
    }
  }
  if (acc !== 0 || bits >= 5) return null; // leftover bits must be zero padding
  return Uint8Array.from(out);
}

/** NSEC3 next hashed owner name: u8 length (≥ 1) + bytes, base32hex text. */
export const hashedName: FieldCodec = {
  span: (b, pos, end) => spanLen8(b, pos, end, 1),
  parse(cur, out, label) {
    const t = cur.next(label);
    const v = decodeBase32Hex(t.text);
    if (v === null || v.length === 0 || v.length > 255) return cur.fail(t, `"${t.text}" is not a valid ${label} (base32hex)`);
    out.u8(v.length);
    out.bytes(v);
  },
  print: (b, pos) => encodeBase32Hex(b.subarray(pos + 1, pos + 1 + b[pos]!)),
};
