import { WireError } from '../errors.js';
import type { FieldCodec } from './field.js';
import { decodeBase64 } from './fields-binary.js';
import { spanName } from './fields-name.js';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from './ip.js';
import { escapeBytes, unescapeString, type TextCursor } from './text-cursor.js';
import type { Token } from './text-error.js';

/** SVCB/HTTPS SvcParams (RFC 9460 §2.1, §7; dohpath RFC 9461). */

const Key = { Mandatory: 0, Alpn: 1, NoDefaultAlpn: 2, Port: 3, Ipv4Hint: 4, Ech: 5, Ipv6Hint: 6, DohPath: 7, Ohttp: 8 } as const;
/** Keys BIND 9.18 prints by name; the rest print as keyNNNNN. */
const keyNames = ['mandatory', 'alpn', 'no-default-alpn', 'port', 'ipv4hint', 'ech', 'ipv6hint'];
const inputNames: Record<string, number> = { dohpath: Key.DohPath, ohttp: Key.Ohttp };

function keyToText(k: number): string {
  return keyNames[k] ?? `key${k}`;
}

function keyFromText(s: string): number | undefined {
  const i = keyNames.indexOf(s);
  if (i >= 0) return i;
  if (inputNames[s] !== undefined) return inputNames[s];
  const m = /^key(\d{1,5})$/.exec(s);
  return m && Number(m[1]) < 65535 ? Number(m[1]) : undefined;
}

function u16at(b: Uint8Array, p: number): number {
  return (b[p]! << 8) | b[p + 1]!;
}

/** Checks one parameter value's layout; throws WireError. */
function checkValue(key: number, b: Uint8Array, p: number, len: number): void {
  const bad = (why: string): never => { throw new WireError(`SVCB ${keyToText(key)}: ${why}`, p); };
  switch (key) {
    case Key.Mandatory:
      if (len === 0 || len % 2) bad('bad length');
      for (let i = 0; i < len; i += 2) {
        const k = u16at(b, p + i);
        if (k === Key.Mandatory) bad('lists itself');
        if (i > 0 && k <= u16at(b, p + i - 2)) bad('keys not in increasing order');
      }
      return;
    case Key.Alpn:
      if (len === 0) bad('empty');
      for (let i = 0; i < len; i += 1 + b[p + i]!) {
        if (b[p + i] === 0 || i + 1 + b[p + i]! > len) bad('bad protocol id');
      }
      return;
    case Key.NoDefaultAlpn: case Key.Ohttp:
      if (len !== 0) bad('must be empty');
      return;
    case Key.Port:
      if (len !== 2) bad('bad length');
      return;
    case Key.Ipv4Hint: case Key.Ipv6Hint:
      if (len === 0 || len % (key === Key.Ipv4Hint ? 4 : 16)) bad('bad length');
      return;
    default:
  }
}

function valueToText(key: number, b: Uint8Array, p: number, len: number): string {
  const end = p + len;
  const list: string[] = [];
  switch (key) {
    case Key.Mandatory:
      for (let i = p; i < end; i += 2) list.push(keyToText(u16at(b, i)));
      return list.join(',');
    case Key.Alpn:
      for (let i = p; i < end; i += 1 + b[i]!) list.push(escapeBytes(valueListEscape(b, i + 1, i + 1 + b[i]!), 0, undefined, false));
      return `"${list.join(',')}"`;
    case Key.Port:
      return String(u16at(b, p));
    case Key.Ipv4Hint:
      for (let i = p; i < end; i += 4) list.push(formatIPv4(b, i));
      return list.join(',');
    case Key.Ipv6Hint:
      for (let i = p; i < end; i += 16) list.push(formatIPv6(b, i));
      return list.join(',');
    case Key.Ech:
      return Buffer.from(b.subarray(p, end)).toString('base64');
    default:
      return `"${escapeBytes(b, p, end, false)}"`;
  }
}

/** Escapes `,` and `\\` of one value-list item (RFC 9460 App. A.1), before string escaping. */
function valueListEscape(b: Uint8Array, start: number, end: number): Uint8Array {
  const out: number[] = [];
  for (let i = start; i < end; i++) {
    if (b[i] === 0x2c || b[i] === 0x5c) out.push(0x5c);
    out.push(b[i]!);
  }
  return Uint8Array.from(out);
}

/** Splits an RFC 9460 App. A.1 value-list on unescaped commas (`\,` and `\\` escape). */
function splitValueList(v: Uint8Array): Uint8Array[] {
  const items: Uint8Array[] = [];
  let cur: number[] = [];
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === 0x5c && i + 1 < v.length) { cur.push(v[++i]!); continue; }
    if (c === 0x2c) { items.push(Uint8Array.from(cur)); cur = []; continue; }
    cur.push(c);
  }
  items.push(Uint8Array.from(cur));
  return items;
}

/** Wire value for one key from its decoded presentation value (null: written without `=`). */
function valueFromText(cur: TextCursor, t: Token, key: number, v: Uint8Array | null): Uint8Array {
  const name = keyToText(key);
  const fail: (why: string) => never = (why) => cur.fail(t, `${name}: ${why}`);
  const flag = key === Key.NoDefaultAlpn || key === Key.Ohttp;
  if (flag) {
    if (v !== null && v.length > 0) fail('takes no value');
    return new Uint8Array(0);
  }
  if (v === null) {
    if (key <= Key.DohPath) fail('needs a value');
    return new Uint8Array(0);
  }
  const s = Buffer.from(v).toString('latin1');
  const out: number[] = [];
  switch (key) {
    case Key.Mandatory: {
      const keys = s.split(',').map((x) => keyFromText(x) ?? fail(`"${x}" is not a SvcParamKey`));
      if (keys.includes(Key.Mandatory)) fail('must not list mandatory');
      keys.sort((a, b) => a - b);
      for (let i = 0; i < keys.length; i++) {
        if (i > 0 && keys[i] === keys[i - 1]) fail(`lists ${keyToText(keys[i]!)} twice`);
        out.push(keys[i]! >> 8, keys[i]! & 0xff);
      }
      break;
    }
    case Key.Alpn:
      for (const item of splitValueList(v)) {
        if (item.length === 0 || item.length > 255) fail('protocol ids must be 1..255 bytes');
        out.push(item.length, ...item);
      }
      break;
    case Key.Port:
      if (!/^\d{1,5}$/.test(s) || Number(s) > 0xffff) fail(`"${s}" is not a port number`);
      out.push(Number(s) >> 8, Number(s) & 0xff);
      break;
    case Key.Ipv4Hint: case Key.Ipv6Hint:
      for (const a of s.split(',')) {
        const ip = key === Key.Ipv4Hint ? parseIPv4(a) : parseIPv6(a);
        if (!ip) fail(`"${a}" is not an IPv${key === Key.Ipv4Hint ? 4 : 6} address`);
        out.push(...ip);
      }
      break;
    case Key.Ech: {
      const d = s.length > 0 ? decodeBase64(s) : null;
      if (!d) fail('not valid base64');
      out.push(...d);
      break;
    }
    case Key.DohPath:
      if (!s.startsWith('/') || !/\{[?&](?:[^}]*,)?dns(?:,[^}]*)?\}/.test(s)) fail('must be a relative URI template with a dns variable');
      out.push(...v);
      break;
    default:
      out.push(...v);
  }
  if (out.length > 0xffff) fail('value too long');
  return Uint8Array.from(out);
}

interface Param { key: number; value: Uint8Array; tok: Token }

/**
 * One `key`, `key=value`, `key="value"` (quotes inside the token) or `key=` followed by a quoted
 * token. A quoted token is read the same way, for lexers that mark such mixed tokens quoted.
 */
function readParam(cur: TextCursor, t: Token): Param {
  const eq = t.text.indexOf('=');
  const keyText = eq < 0 ? t.text : t.text.slice(0, eq);
  const key = keyFromText(keyText);
  if (key === undefined) return cur.fail(t, `"${keyText}" is not a SvcParamKey`);
  let raw: string | null = eq < 0 ? null : t.text.slice(eq + 1);
  if (raw === '' && cur.tokens[cur.i]?.quoted) raw = cur.next('value').text;
  else if (raw !== null && raw.startsWith('"')) {
    if (raw.length < 2 || !raw.endsWith('"')) return cur.fail(t, `unbalanced quotes in "${t.text}"`);
    raw = raw.slice(1, -1);
  }
  let v: Uint8Array | null = null;
  if (raw !== null) {
    const d = unescapeString(raw);
    if (typeof d === 'string') return cur.fail(t, `${keyText}: ${d}`);
    v = d;
  }
  return { key, value: valueFromText(cur, t, key, v), tok: t };
}

/** SvcParams from the end of an SVCB/HTTPS RDATA, kept in strictly increasing key order. */
export const svcParams: FieldCodec = {
  span(b, pos, end) {
    let last = -1;
    while (pos < end) {
      if (pos + 4 > end) throw new WireError('truncated SvcParam', pos);
      const key = u16at(b, pos);
      const len = u16at(b, pos + 2);
      if (key <= last) throw new WireError('SvcParamKeys not in strictly increasing order', pos);
      if (key === 65535) throw new WireError('invalid SvcParamKey 65535', pos);
      if (pos + 4 + len > end) throw new WireError('SvcParam value runs past the end of rdata', pos);
      checkValue(key, b, pos + 4, len);
      last = key;
      pos += 4 + len;
    }
    return pos;
  },
  parse(cur, out) {
    const params: Param[] = [];
    while (!cur.done) params.push(readParam(cur, cur.next('SvcParam')));
    params.sort((a, b) => a.key - b.key);
    for (let i = 1; i < params.length; i++) {
      if (params[i]!.key === params[i - 1]!.key) return cur.fail(params[i]!.tok, `duplicate SvcParamKey ${keyToText(params[i]!.key)}`);
    }
    const has = (k: number): boolean => params.some((p) => p.key === k);
    for (const p of params) {
      if (p.key === Key.Mandatory) {
        for (let i = 0; i < p.value.length; i += 2) {
          const k = u16at(p.value, i);
          if (!has(k)) return cur.fail(p.tok, `mandatory lists ${keyToText(k)}, which is not present`);
        }
      }
      if (p.key === Key.NoDefaultAlpn && !has(Key.Alpn)) return cur.fail(p.tok, 'no-default-alpn needs alpn');
    }
    for (const p of params) {
      out.u16(p.key);
      out.u16(p.value.length);
      out.bytes(p.value);
    }
  },
  print(b, pos, end) {
    const parts: string[] = [];
    while (pos < end) {
      const key = u16at(b, pos);
      const len = u16at(b, pos + 2);
      const name = keyToText(key);
      parts.push(len === 0 ? name : `${name}=${valueToText(key, b, pos + 4, len)}`);
      pos += 4 + len;
    }
    return parts.join(' ');
  },
};

/**
 * Offsets inside an SVCB/HTTPS RDATA of every ipv4hint/ipv6hint address (for split-horizon
 * address rewriting). The RDATA must be valid (as held in RRs); malformed input gives [].
 */
export function svcbAddressHints(rdata: Uint8Array): { offset: number; family: 4 | 6 }[] {
  const out: { offset: number; family: 4 | 6 }[] = [];
  let pos: number;
  try {
    pos = spanName(rdata, 2, rdata.length);
  } catch {
    return out;
  }
  while (pos + 4 <= rdata.length) {
    const key = u16at(rdata, pos);
    const len = u16at(rdata, pos + 2);
    const end = Math.min(pos + 4 + len, rdata.length);
    const size = key === Key.Ipv4Hint ? 4 : key === Key.Ipv6Hint ? 16 : 0;
    if (size) for (let p = pos + 4; p + size <= end; p += size) out.push({ offset: p, family: size === 4 ? 4 : 6 });
    pos += 4 + len;
  }
  return out;
}
