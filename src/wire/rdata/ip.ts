/** IPv4/IPv6 text ⇄ bytes, strict like inet_pton and printed like BIND's inet_ntop. */

/** Dotted quad → 4 bytes, or null. No leading zeros, exactly four parts. */
export function parseIPv4(s: string): Uint8Array | null {
  const p = s.split('.');
  if (p.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const x = p[i]!;
    if (!/^(0|[1-9]\d{0,2})$/.test(x)) return null;
    const v = Number(x);
    if (v > 255) return null;
    out[i] = v;
  }
  return out;
}

export function formatIPv4(b: Uint8Array, at = 0): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

/** IPv6 text (with `::` and an optional dotted-quad tail) → 16 bytes, or null. */
export function parseIPv6(s: string): Uint8Array | null {
  if (s.length < 2 || s.length > 45) return null;
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return null;
  const head = dbl >= 0 ? s.slice(0, dbl) : s;
  const tail = dbl >= 0 ? s.slice(dbl + 2) : '';
  const hw = head === '' ? [] : head.split(':');
  const tw = tail === '' ? [] : tail.split(':');
  const words: number[] = [];
  const groups = [hw, tw];
  const parsed: number[][] = [[], []];
  for (let g = 0; g < 2; g++) {
    const list = groups[g]!;
    for (let i = 0; i < list.length; i++) {
      const w = list[i]!;
      const last = g === (dbl >= 0 ? 1 : 0) && i === list.length - 1;
      if (last && w.includes('.')) {
        const v4 = parseIPv4(w);
        if (!v4) return null;
        parsed[g]!.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(w)) return null;
      parsed[g]!.push(parseInt(w, 16));
    }
  }
  const n = parsed[0]!.length + parsed[1]!.length;
  if (dbl >= 0 ? n > 7 : n !== 8) return null;
  words.push(...parsed[0]!);
  for (let i = n; i < 8; i++) words.push(0);
  words.push(...parsed[1]!);
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = words[i]! >> 8;
    out[2 * i + 1] = words[i]! & 0xff;
  }
  return out;
}

/**
 * RFC 5952-style text as BIND prints it: lower-case hex, the first longest run (≥ 2) of zero
 * words as `::`, and `::a.b.c.d` / `::ffff:a.b.c.d` for IPv4-compatible and -mapped addresses.
 */
export function formatIPv6(b: Uint8Array, at = 0): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((b[at + 2 * i]! << 8) | b[at + 2 * i + 1]!);
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  if (bestLen < 2) best = -1;
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === best) {
      if (i === 0) s += ':';
      s += ':';
      i += bestLen - 1;
      continue;
    }
    if (i === 6 && best === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
      return s + formatIPv4(b, at + 12);
    }
    s += w[i]!.toString(16);
    if (i < 7) s += ':';
  }
  return s;
}
