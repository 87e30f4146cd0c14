/**
 * Blocklist text, line by line, detecting the format of each line:
 * - hosts: `0.0.0.0 name`, `127.0.0.1 name`, `::1 name`, any address first, several names per
 *   line; `localhost`-style names (localhost, broadcasthost, ip6-*, ...) are skipped;
 * - plain domains: `ads.example.com`;
 * - wildcards: `*.example.com` (the name and everything below it, as every other entry);
 * - AdBlock-style: `||example.com^` (optionally `$important`), exceptions `@@||example.com^`;
 * - comments: lines starting with `#` or `!`, `[Adblock Plus 2.0]`-style headers, and `#` after
 *   whitespace on hosts and domain lines.
 * Other AdBlock syntax (paths, regular expressions, cosmetic `##` rules, modifiers other than
 * `$important`) is skipped and counted as unsupported; anything else is counted as invalid.
 *
 * The parser reads a Buffer byte by byte and hands each entry's byte range to a sink, so the
 * compiler can hash entries without making a string per line.
 */

export const EntryKind = { Block: 0, Allow: 1 } as const;
export type EntryKind = (typeof EntryKind)[keyof typeof EntryKind];

export interface EntrySink {
  /** One valid entry: the name is `buf[from..to)` (no trailing dot, ASCII, labels checked). */
  entry(kind: EntryKind, buf: Uint8Array, from: number, to: number, line: number): void;
}

/** What a source held. Samples are `line N: text` of the first few bad lines. */
export interface ParseStats {
  lines: number;
  entries: number;
  allowEntries: number;
  invalid: number;
  unsupported: number;
  /** localhost-style hosts entries skipped. */
  skipped: number;
  invalidSamples: string[];
  unsupportedSamples: string[];
}

export const SAMPLES = 3;
/** Longest line kept as a sample (bytes). */
const SAMPLE_LEN = 120;

export function emptyStats(): ParseStats {
  return { lines: 0, entries: 0, allowEntries: 0, invalid: 0, unsupported: 0, skipped: 0, invalidSamples: [], unsupportedSamples: [] };
}

const LOCAL_NAMES = new Set([
  'localhost', 'localhost.localdomain', 'local', 'broadcasthost', 'localdomain', 'ip6-localhost', 'ip6-loopback',
  'ip6-localnet', 'ip6-mcastprefix', 'ip6-allnodes', 'ip6-allrouters', 'ip6-allhosts', '0.0.0.0',
]);

const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const LF = 0x0a;
const HASH = 0x23;
const BANG = 0x21;
const DOT = 0x2e;

function isSpace(c: number): boolean {
  return c === SPACE || c === TAB || c === CR || c === 0x0b || c === 0x0c;
}

function isNameByte(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f;
}

/**
 * Checks `buf[from..to)` as a domain name (letters, digits, `-`, `_`; labels 1..63 bytes, not only
 * hyphens; at most 253 characters) and returns the end without a trailing dot, or -1.
 */
export function checkName(buf: Uint8Array, from: number, to: number): number {
  if (to > from && buf[to - 1] === DOT) to--;
  if (to <= from || to - from > 253) return -1;
  let label = 0;
  let plain = false; // the label has a letter, digit or `_` (not only hyphens)
  for (let i = from; i < to; i++) {
    const c = buf[i]!;
    if (c === DOT) {
      if (!plain) return -1;
      label = 0;
      plain = false;
    } else if (isNameByte(c)) {
      if (++label > 63) return -1;
      if (c !== 0x2d) plain = true;
    } else {
      return -1;
    }
  }
  return plain ? to : -1;
}

/** True when `buf[from..to)` looks like an IPv4 or IPv6 address (hosts file first column). */
function isAddress(buf: Uint8Array, from: number, to: number): boolean {
  let colon = false;
  let dots = 0;
  for (let i = from; i < to; i++) {
    const c = buf[i]!;
    if (c === 0x3a) colon = true;
    else if (c === DOT) dots++;
    else if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46) || c === 0x25)) return false;
  }
  if (colon) return true;
  if (dots !== 3) return false;
  for (let i = from; i < to; i++) if (buf[i] !== DOT && (buf[i]! < 0x30 || buf[i]! > 0x39)) return false;
  return true;
}

function textOf(buf: Uint8Array, from: number, to: number): string {
  return Buffer.from(buf.buffer, buf.byteOffset + from, Math.min(to - from, SAMPLE_LEN)).toString('latin1').replace(/[^\x20-\x7e]/g, '?');
}

function isLocalName(buf: Uint8Array, from: number, to: number): boolean {
  if (to - from > 21) return false;
  return LOCAL_NAMES.has(Buffer.from(buf.buffer, buf.byteOffset + from, to - from).toString('latin1').toLowerCase());
}

function startsWith(buf: Uint8Array, from: number, to: number, text: string): boolean {
  if (to - from < text.length) return false;
  for (let i = 0; i < text.length; i++) if (buf[from + i] !== text.charCodeAt(i)) return false;
  return true;
}

function indexOf(buf: Uint8Array, from: number, to: number, c: number): number {
  for (let i = from; i < to; i++) if (buf[i] === c) return i;
  return -1;
}

/**
 * Parses a whole list. `allowOnly`: every entry is an allow entry (allowlist sources). Lines
 * with NUL or other control bytes, or bytes above 0x7e, are invalid (binary garbage).
 */
export function parseList(buf: Uint8Array, sink: EntrySink, allowOnly = false, stats: ParseStats = emptyStats()): ParseStats {
  const n = buf.length;
  let line = 0;
  let p = 0;
  // A UTF-8 byte order mark at the start is not part of the first line.
  if (n >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) p = 3;
  while (p < n) {
    let end = p;
    while (end < n && buf[end] !== LF) end++;
    line++;
    parseLine(buf, p, end, line, sink, allowOnly, stats);
    p = end + 1;
  }
  stats.lines = line;
  return stats;
}

function invalid(stats: ParseStats, buf: Uint8Array, from: number, to: number, line: number): void {
  stats.invalid++;
  if (stats.invalidSamples.length < SAMPLES) stats.invalidSamples.push(`line ${line}: ${textOf(buf, from, to)}`);
}

function unsupported(stats: ParseStats, buf: Uint8Array, from: number, to: number, line: number): void {
  stats.unsupported++;
  if (stats.unsupportedSamples.length < SAMPLES) stats.unsupportedSamples.push(`line ${line}: ${textOf(buf, from, to)}`);
}

function emit(kind: EntryKind, buf: Uint8Array, from: number, to: number, line: number, sink: EntrySink, allowOnly: boolean, stats: ParseStats): void {
  const k = allowOnly ? EntryKind.Allow : kind;
  if (k === EntryKind.Allow) stats.allowEntries++;
  else stats.entries++;
  sink.entry(k, buf, from, to, line);
}

function parseLine(buf: Uint8Array, from: number, to: number, line: number, sink: EntrySink, allowOnly: boolean, stats: ParseStats): void {
  while (from < to && isSpace(buf[from]!)) from++;
  while (to > from && isSpace(buf[to - 1]!)) to--;
  if (from === to) return;
  for (let i = from; i < to; i++) {
    const c = buf[i]!;
    if (c < 0x20 ? c !== TAB : c > 0x7e) return invalid(stats, buf, from, to, line);
  }
  const first = buf[from]!;
  if (first === HASH || first === BANG) return;
  if (first === 0x5b && buf[to - 1] === 0x5d) return; // [Adblock Plus 2.0]
  // AdBlock-style rules.
  let kind: EntryKind = EntryKind.Block;
  let p = from;
  if (startsWith(buf, p, to, '@@')) {
    kind = EntryKind.Allow;
    p += 2;
  }
  if (startsWith(buf, p, to, '||')) {
    p += 2;
    const caret = indexOf(buf, p, to, 0x5e);
    if (caret < 0) return unsupported(stats, buf, from, to, line); // `||example.com/path`, `||ads*`
    let rest = caret + 1;
    if (rest < to && buf[rest] === 0x7c) rest++; // `^|`
    if (rest < to && !(to - rest === 10 && startsWith(buf, rest, to, '$important'))) return unsupported(stats, buf, from, to, line);
    const end = checkName(buf, p, caret);
    if (end < 0) {
      for (let i = p; i < caret; i++) if (buf[i] === 0x2a || buf[i] === 0x2f) return unsupported(stats, buf, from, to, line);
      return invalid(stats, buf, from, to, line);
    }
    return emit(kind, buf, p, end, line, sink, allowOnly, stats);
  }
  if (kind === EntryKind.Allow) return unsupported(stats, buf, from, to, line); // `@@/regex/`, `@@example.com`
  // Hosts and plain lines: tokens up to a `#` that follows whitespace.
  let tokens = 0;
  let addressLine = false;
  p = from;
  while (p < to) {
    while (p < to && isSpace(buf[p]!)) p++;
    if (p >= to || buf[p] === HASH) break;
    let e = p;
    while (e < to && !isSpace(buf[e]!)) e++;
    tokens++;
    if (tokens === 1) {
      if (isAddress(buf, p, e)) {
        addressLine = true;
        p = e;
        continue;
      }
      // Only hosts lines have more than one token.
      let q = e;
      while (q < to && isSpace(buf[q]!)) q++;
      if (q < to && buf[q] !== HASH) return invalid(stats, buf, from, to, line);
      let s = p;
      if (startsWith(buf, s, e, '*.')) s += 2;
      const end = checkName(buf, s, e);
      if (end >= 0) return emit(EntryKind.Block, buf, s, end, line, sink, allowOnly, stats);
      return isAdblockish(buf, p, e) ? unsupported(stats, buf, from, to, line) : invalid(stats, buf, from, to, line);
    }
    const end = checkName(buf, p, e);
    if (end < 0) invalid(stats, buf, from, to, line);
    else if (isLocalName(buf, p, end)) stats.skipped++;
    else emit(EntryKind.Block, buf, p, end, line, sink, allowOnly, stats);
    p = e;
  }
  if (addressLine && tokens === 1) invalid(stats, buf, from, to, line); // an address alone
}

/** Cosmetic rules (`example.com##.ad`), regular expressions, `|http://` and other filter syntax. */
function isAdblockish(buf: Uint8Array, from: number, to: number): boolean {
  const c = buf[from]!;
  if (c === 0x2f || c === 0x7c || c === 0x24 || c === 0x2a) return true; // / | $ *
  for (let i = from; i < to; i++) {
    const d = buf[i]!;
    if (d === HASH || d === 0x5e || d === 0x24 || d === 0x2a || d === 0x2f) return true; // # ^ $ * /
  }
  return false;
}
