import { WireError } from '../errors.js';
import type { FieldCodec } from './field.js';
import { u16, u32 } from './fields-basic.js';
import { rrTypeFromString, rrTypeToString } from './types-extra.js';

/** DNSSEC-specific fields: type covered, signature times, type bitmaps (RFC 4034). */

/** An RR type number, printed as a mnemonic (RRSIG type covered). */
export const rrType: FieldCodec = {
  span: u16.span,
  parse(cur, out, label) {
    const t = cur.next(label);
    const v = rrTypeFromString(t.text);
    if (v === undefined) return cur.fail(t, `"${t.text}" is not a known RR type`);
    out.u16(v);
  },
  print: (b, pos) => rrTypeToString((b[pos]! << 8) | b[pos + 1]!),
};

const two = (n: number): string => String(n).padStart(2, '0');

const MOD32 = 0x100000000;

/** Seconds since the epoch for a YYYYMMDDHHmmSS text (any year 0..9999), or undefined if invalid. */
function parseSigDate(s: string): number | undefined {
  const [y, mo, d, h, mi, se] = [s.slice(0, 4), s.slice(4, 6), s.slice(6, 8), s.slice(8, 10), s.slice(10, 12), s.slice(12)].map(Number) as [number, number, number, number, number, number];
  const dt = new Date(0);
  dt.setUTCFullYear(y, mo - 1, d);
  if (dt.getUTCFullYear() !== y || dt.getUTCMonth() !== mo - 1 || dt.getUTCDate() !== d || h > 23 || mi > 59 || se > 59) return undefined;
  dt.setUTCHours(h, mi, se, 0);
  return dt.getTime() / 1000;
}

/**
 * RRSIG time (RFC 4034 §3.2): `YYYYMMDDHHmmSS` (UTC, modulo 2^32) or a plain number of seconds.
 * Printed as YYYYMMDDHHmmSS within 2^31 seconds of now (serial arithmetic), like BIND.
 */
export const sigTime: FieldCodec = {
  span: u32.span,
  parse(cur, out, label) {
    const t = cur.next(label);
    const s = t.text;
    if (/^\d{14}$/.test(s)) {
      const secs = parseSigDate(s);
      if (secs === undefined) return cur.fail(t, `"${s}" is not a valid ${label} (YYYYMMDDHHmmSS)`);
      out.u32(((secs % MOD32) + MOD32) % MOD32);
      return;
    }
    if (/^\d{1,10}$/.test(s) && Number(s) < MOD32) {
      out.u32(Number(s));
      return;
    }
    cur.fail(t, `"${s}" is not a valid ${label} (YYYYMMDDHHmmSS or seconds)`);
  },
  print(b, pos) {
    const v = b[pos]! * 0x1000000 + ((b[pos + 1]! << 16) | (b[pos + 2]! << 8) | b[pos + 3]!);
    const now = Math.floor(Date.now() / 1000);
    const t = now + ((v - now) | 0); // nearest to now, modulo 2^32
    const d = new Date(t * 1000);
    return `${String(d.getUTCFullYear()).padStart(4, '0')}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}` +
      `${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}`;
  },
};

/** Type bitmap (RFC 4034 §4.1.2) to the end of RDATA. `nonEmpty` mirrors BIND for NSEC text. */
export function typeBitmap(nonEmpty: boolean): FieldCodec {
  return {
    span(b, pos, end) {
      let last = -1;
      while (pos < end) {
        if (pos + 2 > end) throw new WireError('truncated type bitmap window', pos);
        const win = b[pos]!;
        const len = b[pos + 1]!;
        if (win <= last) throw new WireError('type bitmap windows out of order', pos);
        if (len < 1 || len > 32) throw new WireError('bad type bitmap window length', pos);
        if (pos + 2 + len > end) throw new WireError('type bitmap window runs past the end of rdata', pos);
        if (b[pos + 1 + len] === 0) throw new WireError('type bitmap window has a trailing zero octet', pos);
        last = win;
        pos += 2 + len;
      }
      return pos;
    },
    parse(cur, out, label) {
      if (nonEmpty && cur.done) cur.next(label);
      const types = new Set<number>();
      for (const t of cur.rest()) {
        const v = rrTypeFromString(t.text);
        if (v === undefined) return cur.fail(t, `"${t.text}" is not a known RR type`);
        types.add(v);
      }
      out.bytes(encodeTypeBitmap([...types]));
    },
    print(b, pos, end) {
      const names: string[] = [];
      while (pos < end) {
        const win = b[pos]!;
        const len = b[pos + 1]!;
        for (let i = 0; i < len; i++) {
          const byte = b[pos + 2 + i]!;
          for (let bit = 0; bit < 8; bit++) {
            if (byte & (0x80 >> bit)) names.push(rrTypeToString(win * 256 + i * 8 + bit));
          }
        }
        pos += 2 + len;
      }
      return names.join(' ');
    },
  };
}

/** Encodes a set of type numbers as an RFC 4034 type bitmap. */
export function encodeTypeBitmap(types: number[]): Uint8Array {
  const sorted = [...new Set(types)].sort((a, b) => a - b);
  const out: number[] = [];
  let i = 0;
  while (i < sorted.length) {
    const win = sorted[i]! >> 8;
    const bits = new Uint8Array(32);
    let len = 0;
    for (; i < sorted.length && sorted[i]! >> 8 === win; i++) {
      const low = sorted[i]! & 0xff;
      bits[low >> 3]! |= 0x80 >> (low & 7);
      len = (low >> 3) + 1;
    }
    out.push(win, len, ...bits.subarray(0, len));
  }
  return Uint8Array.from(out);
}
