import { WireError } from '../errors.js';
import type { FieldCodec } from './field.js';
import { escapeBytes, unescapeString, type TextCursor } from './text-cursor.js';
import type { Token } from './text-error.js';

/** Character-strings (RFC 1035 §3.3) and the CAA / URI string fields. */

function decode(cur: TextCursor, t: Token, max: number, label: string): Uint8Array {
  const v = unescapeString(t.text);
  if (typeof v === 'string') return cur.fail(t, `${label}: ${v}`);
  if (v.length > max) return cur.fail(t, `${label} is ${v.length} bytes long, more than ${max}`);
  return v;
}

function spanString(b: Uint8Array, pos: number, end: number): number {
  if (pos >= end) throw new WireError('rdata too short for a character-string', pos);
  const next = pos + 1 + b[pos]!;
  if (next > end) throw new WireError('character-string runs past the end of rdata', pos);
  return next;
}

/** One character-string: u8 length + bytes, printed quoted. */
export const cstring: FieldCodec = {
  span: spanString,
  parse(cur, out, label) {
    const v = decode(cur, cur.next(label), 255, label);
    out.u8(v.length);
    out.bytes(v);
  },
  print: (b, pos) => `"${escapeBytes(b, pos + 1, pos + 1 + b[pos]!)}"`,
};

/** One or more character-strings up to the end of RDATA (TXT, SPF); one token each. */
export const cstrings: FieldCodec = {
  span(b, pos, end) {
    if (pos >= end) throw new WireError('TXT rdata needs at least one character-string', pos);
    while (pos < end) pos = spanString(b, pos, end);
    return pos;
  },
  parse(cur, out, label) {
    if (cur.done) cur.next(label); // throws: at least one string
    for (const t of cur.rest()) {
      const v = decode(cur, t, 255, 'character-string');
      out.u8(v.length);
      out.bytes(v);
    }
  },
  print(b, pos, end) {
    const parts: string[] = [];
    while (pos < end) {
      const next = pos + 1 + b[pos]!;
      parts.push(`"${escapeBytes(b, pos + 1, next)}"`);
      pos = next;
    }
    return parts.join(' ');
  },
};

/** A string without length prefix filling the rest of RDATA, printed quoted (CAA value, URI target). */
export function stringRest(allowEmpty: boolean): FieldCodec {
  return {
    span(_b, pos, end) {
      if (!allowEmpty && pos >= end) throw new WireError('empty string field in rdata', pos);
      return end;
    },
    parse(cur, out, label) {
      const t = cur.next(label);
      const v = decode(cur, t, 0xffff, label);
      if (!allowEmpty && v.length === 0) return cur.fail(t, `${label} must not be empty`);
      out.bytes(v);
    },
    print: (b, pos, end) => `"${escapeBytes(b, pos, end)}"`,
  };
}

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** CAA property tag (RFC 8659 §4.1): u8 length + 1..255 letters/digits, printed bare. */
export const caaTag: FieldCodec = {
  span(b, pos, end) {
    const next = spanString(b, pos, end);
    if (next === pos + 1) throw new WireError('CAA tag is empty', pos);
    for (let i = pos + 1; i < next; i++) if (!isAlnum(b[i]!)) throw new WireError('CAA tag is not alphanumeric', i);
    return next;
  },
  parse(cur, out, label) {
    const t = cur.next(label);
    if (!/^[A-Za-z0-9]{1,255}$/.test(t.text)) return cur.fail(t, `"${t.text}" is not a valid CAA tag (letters and digits)`);
    out.u8(t.text.length);
    out.bytes(Buffer.from(t.text, 'latin1'));
  },
  print: (b, pos) => Buffer.from(b.subarray(pos + 1, pos + 1 + b[pos]!)).toString('latin1'),
};
