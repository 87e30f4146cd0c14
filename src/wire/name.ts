import { MAX_LABEL, MAX_NAME_WIRE } from './constants.js';
import { WireError } from './errors.js';

/**
 * Domain names. Presentation form: FQDN with trailing dot, original case, RFC 1035 escapes
 * (`\.`, `\\`, `\DDD`). Wire form: length-prefixed labels ending in the root label.
 */

/** Splits a presentation name into raw label byte arrays (escapes resolved). Root gives []. */
export function nameToLabels(name: string): Uint8Array[] {
  if (name === '.' || name === '') return [];
  const labels: Uint8Array[] = [];
  let cur: number[] = [];
  let i = 0;
  const n = name.length;
  while (i < n) {
    const c = name.charCodeAt(i);
    if (c === 0x2e /* . */) {
      if (cur.length === 0) throw new WireError(`empty label in name "${name}"`);
      labels.push(Uint8Array.from(cur));
      cur = [];
      i++;
      continue;
    }
    if (c === 0x5c /* \ */) {
      const d = name.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(d)) {
        const v = Number(d);
        if (v > 255) throw new WireError(`bad escape \\${d} in name "${name}"`);
        cur.push(v);
        i += 4;
        continue;
      }
      if (i + 1 >= n) throw new WireError(`dangling backslash in name "${name}"`);
      cur.push(name.charCodeAt(i + 1) & 0xff);
      i += 2;
      continue;
    }
    if (c > 0xff) throw new WireError(`non-ASCII character in name "${name}"`);
    cur.push(c);
    i++;
  }
  if (cur.length > 0) labels.push(Uint8Array.from(cur));
  for (const l of labels) if (l.length > MAX_LABEL) throw new WireError(`label longer than 63 bytes in "${name}"`);
  return labels;
}

/** Uncompressed wire form, case preserved. */
export function nameToWire(name: string): Uint8Array {
  const labels = nameToLabels(name);
  let len = 1;
  for (const l of labels) len += l.length + 1;
  if (len > MAX_NAME_WIRE) throw new WireError(`name longer than 255 bytes: "${name}"`);
  const out = new Uint8Array(len);
  let o = 0;
  for (const l of labels) {
    out[o++] = l.length;
    out.set(l, o);
    o += l.length;
  }
  out[o] = 0;
  return out;
}

function labelToText(buf: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    if (b === 0x2e || b === 0x5c || b === 0x22 || b === 0x28 || b === 0x29 || b === 0x3b || b === 0x40 || b === 0x24) {
      s += '\\' + String.fromCharCode(b);
    } else if (b <= 0x20 || b >= 0x7f) {
      s += '\\' + String(b).padStart(3, '0');
    } else {
      s += String.fromCharCode(b);
    }
  }
  return s;
}

export interface NameRead {
  name: string;
  /** Offset just after the name as it sits in the buffer (after the first pointer, if any). */
  next: number;
}

/**
 * Reads a possibly compressed name. Pointers must point strictly backwards (so loops are
 * impossible) and inside the buffer; the expanded name must fit 255 bytes.
 */
export function readName(buf: Uint8Array, offset: number, end = buf.length): NameRead {
  let pos = offset;
  let next = -1;
  let wireLen = 1;
  let out = '';
  let limit = pos; // pointers must go below this
  for (;;) {
    if (pos >= end) throw new WireError('name runs past the end of the message', pos);
    const len = buf[pos]!;
    if (len === 0) {
      if (next < 0) next = pos + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= end) throw new WireError('truncated compression pointer', pos);
      const ptr = ((len & 0x3f) << 8) | buf[pos + 1]!;
      if (next < 0) next = pos + 2;
      if (ptr >= limit) throw new WireError('compression pointer does not point backwards', pos);
      limit = ptr;
      pos = ptr;
      continue;
    }
    if (kind !== 0) throw new WireError('unsupported label type', pos);
    if (pos + 1 + len > end) throw new WireError('label runs past the end of the message', pos);
    wireLen += len + 1;
    if (wireLen > MAX_NAME_WIRE) throw new WireError('name longer than 255 bytes', pos);
    out += labelToText(buf, pos + 1, pos + 1 + len) + '.';
    pos += len + 1;
  }
  return { name: out === '' ? '.' : out, next };
}

/** Lower-cases ASCII letters only (DNS case-insensitivity is ASCII-only, RFC 4343). */
export function canonicalName(name: string): string {
  let lower = false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) { lower = true; break; }
  }
  return lower ? name.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : name;
}

export function nameEquals(a: string, b: string): boolean {
  return a.length === b.length && canonicalName(a) === canonicalName(b);
}

/** Makes a name absolute: appends the origin to a relative name (`@` is the origin). */
export function fqdn(name: string, origin = '.'): string {
  if (name === '@') return origin;
  if (isAbsolute(name)) return name;
  return origin === '.' ? name + '.' : name + '.' + origin;
}

/** True when the name ends with an unescaped dot. */
export function isAbsolute(name: string): boolean {
  if (!name.endsWith('.')) return false;
  let bs = 0;
  for (let i = name.length - 2; i >= 0 && name.charCodeAt(i) === 0x5c; i--) bs++;
  return bs % 2 === 0;
}

/** Presentation labels of an absolute name, most specific first; root gives []. Escapes kept. */
export function splitLabels(name: string): string[] {
  if (name === '.') return [];
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x5c) { i++; continue; }
    if (c === 0x2e) { out.push(name.slice(start, i)); start = i + 1; }
  }
  if (start < name.length) out.push(name.slice(start));
  return out;
}

export function labelCount(name: string): number {
  return splitLabels(name).length;
}

/** The name with its first label removed (`a.b.` → `b.`, `a.` → `.`). */
export function parentName(name: string): string {
  const l = splitLabels(name);
  return l.length <= 1 ? '.' : l.slice(1).join('.') + '.';
}

/** True when `child` equals `parent` or lies below it (case-insensitive). */
export function isSubdomain(child: string, parent: string): boolean {
  if (parent === '.') return true;
  const c = canonicalName(child);
  const p = canonicalName(parent);
  if (c === p) return true;
  if (!c.endsWith('.' + p)) return false;
  // the character before the match must be an unescaped dot
  const cut = c.length - p.length - 1;
  let bs = 0;
  for (let i = cut - 1; i >= 0 && c.charCodeAt(i) === 0x5c; i--) bs++;
  return bs % 2 === 0;
}

/** Wire length of a presentation name (uncompressed). */
export function nameWireLength(name: string): number {
  return nameToWire(name).length;
}
