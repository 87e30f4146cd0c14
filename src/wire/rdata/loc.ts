import { WireError } from '../errors.js';
import type { FieldCodec } from './field.js';
import type { TextCursor } from './text-cursor.js';

/** LOC (RFC 1876): the whole RDATA as one field, printed like BIND. */

const EQUATOR = 0x80000000;
const ALT_BASE = 10000000; // cm below the reference spheroid
const MAX_ALT_CM = 0xffffffff - ALT_BASE;

/** Size/precision byte (mantissa << 4 | exponent, in cm) from centimetres, truncating like BIND. */
function sizeByte(cm: number): number {
  let exp = 0;
  while (exp < 9 && cm >= 10 ** (exp + 1)) exp++;
  return (Math.floor(cm / 10 ** exp) << 4) | exp;
}

function sizeText(v: number): string {
  const man = v >> 4;
  const exp = v & 15;
  return exp >= 2 ? `${man * 10 ** (exp - 2)}m` : `0.${String(man * 10 ** exp).padStart(2, '0')}m`;
}

function coordText(v: number, pos: string, neg: string): string {
  let x = v - EQUATOR;
  const hemi = x < 0 ? neg : pos;
  x = Math.abs(x);
  const ms = x % 1000;
  x = Math.floor(x / 1000);
  return `${Math.floor(x / 3600)} ${Math.floor(x / 60) % 60} ${x % 60}.${String(ms).padStart(3, '0')} ${hemi}`;
}

function u32at(b: Uint8Array, p: number): number {
  return b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
}

/** Reads `deg [min [sec]] HEMI`; returns thousandths of a second from the equator/meridian. */
function parseCoord(cur: TextCursor, pos: string, neg: string, maxDeg: number, what: string): number {
  const first = cur.next(what);
  const nums: string[] = [];
  let t = first;
  while (nums.length < 3 && /^[\d.]+$/.test(t.text)) {
    nums.push(t.text);
    t = cur.next(`${what} hemisphere`);
  }
  const hemi = t.text.toUpperCase();
  if (hemi !== pos && hemi !== neg) return cur.fail(t, `"${t.text}" is not ${pos} or ${neg}`);
  const [d = '', m = '0', s = '0'] = nums;
  if (!/^\d+$/.test(d) || !/^\d+$/.test(m) || !/^\d+(\.\d{1,3})?$/.test(s)) return cur.fail(first, `bad ${what}`);
  const deg = Number(d);
  const min = Number(m);
  const secMs = Math.round(Number(s) * 1000);
  if (min > 59 || secMs >= 60000) return cur.fail(first, `bad ${what}`);
  const total = ((deg * 60 + min) * 60) * 1000 + secMs;
  if (total > maxDeg * 3600000) return cur.fail(first, `${what} out of range`);
  return hemi === pos ? EQUATOR + total : EQUATOR - total;
}

/** Metres with up to two decimals and an optional `m` → centimetres. */
function parseMetres(cur: TextCursor, what: string, signed: boolean): number {
  const t = cur.next(what);
  const re = signed ? /^(-?\d+)(?:\.(\d{1,2}))?[mM]?$/ : /^(\d+)(?:\.(\d{1,2}))?[mM]?$/;
  const m = re.exec(t.text);
  if (!m) return cur.fail(t, `"${t.text}" is not a valid ${what}`);
  const whole = Math.abs(Number(m[1]));
  const cm = whole * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  const v = m[1]!.startsWith('-') ? -cm : cm;
  if (signed ? v < -ALT_BASE || v > MAX_ALT_CM : v > 9e9) return cur.fail(t, `${what} out of range`);
  return v;
}

export const loc: FieldCodec = {
  span(b, pos, end) {
    if (end - pos !== 16) throw new WireError('LOC rdata must be 16 bytes', pos);
    if (b[pos] !== 0) throw new WireError('unsupported LOC version', pos);
    for (let i = 1; i <= 3; i++) {
      if (b[pos + i]! >> 4 > 9 || (b[pos + i]! & 15) > 9) throw new WireError('bad LOC size/precision', pos + i);
    }
    if (Math.abs(u32at(b, pos + 4) - EQUATOR) > 90 * 3600000) throw new WireError('LOC latitude out of range', pos + 4);
    if (Math.abs(u32at(b, pos + 8) - EQUATOR) > 180 * 3600000) throw new WireError('LOC longitude out of range', pos + 8);
    return end;
  },
  parse(cur, out) {
    const lat = parseCoord(cur, 'N', 'S', 90, 'latitude');
    const lon = parseCoord(cur, 'E', 'W', 180, 'longitude');
    const alt = parseMetres(cur, 'altitude', true);
    const sizes = [100, 1000000, 1000];
    for (let i = 0; i < 3 && !cur.done; i++) sizes[i] = parseMetres(cur, ['size', 'horizontal precision', 'vertical precision'][i]!, false);
    out.u8(0);
    for (const s of sizes) out.u8(sizeByte(s));
    out.u32(lat);
    out.u32(lon);
    out.u32(alt + ALT_BASE);
  },
  print(b, pos) {
    const altCm = u32at(b, pos + 12) - ALT_BASE;
    const a = Math.abs(altCm);
    const alt = `${altCm < 0 ? '-' : ''}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}m`;
    return `${coordText(u32at(b, pos + 4), 'N', 'S')} ${coordText(u32at(b, pos + 8), 'E', 'W')} ${alt} ` +
      `${sizeText(b[pos + 1]!)} ${sizeText(b[pos + 2]!)} ${sizeText(b[pos + 3]!)}`;
  },
};
