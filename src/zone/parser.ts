import { FileRefused, readRegularFile } from '../util/regular-file.js';
import { dirname, isAbsolute as isAbsolutePath, join, resolve } from 'node:path';
import { RClass, classFromString, classToString } from '../wire/constants.js';
import { fqdn, isAbsolute, nameToWire, readName } from '../wire/name.js';
import { PresentationError, type Token } from '../wire/presentation.js';
import { rdataFromText, rrTypeFromString } from '../wire/rdata/index.js';
import type { RR } from '../wire/types.js';
import { ZoneParseError, type SourcePos, type ZoneIssue } from './errors.js';
import { Lexer } from './lexer.js';
import { MAX_TTL, parseTtl } from './ttl.js';

/**
 * Pull-style RFC 1035 master-file parser: `next()` returns one record at a time (names as
 * absolute presentation FQDNs, RDATA as wire bytes) and throws `ZoneParseError` at the first
 * syntax error.
 *
 * Default TTL, as BIND 9 loads files (checked against named-compilezone 9.18):
 * 1. a record with an explicit TTL uses it (values above 2^31-1 become 0, with a warning);
 * 2. otherwise the last `$TTL` value, if any;
 * 3. otherwise the TTL of the previous record that had an explicit one (RFC 1035 §5.1, with a
 *    warning);
 * 4. otherwise, for the SOA record, its MINIMUM field (RFC 2308 §4), which also becomes the
 *    default for the rest of the file as if given by `$TTL`;
 * 5. otherwise it is an error ("no TTL specified").
 *
 * `$INCLUDE file [origin]` is refused unless `allowInclude` is set. The path is relative to the
 * including file; the included file starts with the given origin (or the current one) and the
 * including file continues afterwards with its own origin and previous owner, while `$TTL`
 * carries over, as in BIND. Loops and nesting deeper than `maxIncludeDepth` are errors.
 */

export interface ZoneParserOptions {
  /** Initial `$ORIGIN`, absolute. */
  origin: string;
  /** File path used in messages and to resolve `$INCLUDE` (as given, e.g. `zones/home.lan.zone`). */
  file?: string;
  /** Zone class; records naming another class are errors. Default IN. */
  class?: number;
  /** Enables `$INCLUDE`. Default false. */
  allowInclude?: boolean;
  /** Include nesting limit. Default 16. */
  maxIncludeDepth?: number;
  /** Reads an included file (tests inject one). Default: fs.readFileSync as UTF-8. */
  readFile?: (path: string) => string;
}

/** Type codes that only exist in messages: OPT, TKEY, TSIG, IXFR, AXFR, MAILB, MAILA, ANY. */
const META_TYPES = new Set([41, 249, 250, 251, 252, 253, 254, 255]);
const SOA = 6;

interface Frame {
  lexer: Lexer;
  file: string;
  absPath: string;
  origin: string;
  prevOwner: string | null;
  originJustSet: boolean;
}

export class ZoneParser {
  /** Non-fatal findings so far (e.g. a TTL above 2^31-1 loaded as 0). */
  readonly warnings: ZoneIssue[] = [];
  readonly #opts: ZoneParserOptions;
  readonly #stack: Frame[] = [];
  readonly #class: number;
  #defaultTtl: number | null = null;
  #lastTtl: number | null = null;
  #warned1035 = false;
  #pos: SourcePos;

  constructor(text: string, opts: ZoneParserOptions) {
    this.#opts = opts;
    this.#class = opts.class ?? RClass.IN;
    const file = opts.file ?? '<input>';
    if (!isAbsolute(opts.origin)) throw new ZoneParseError(file, 0, 0, `origin "${opts.origin}" is not absolute`);
    this.#pos = { file, line: 0, col: 0 };
    this.#stack.push(this.#frame(text, file, opts.origin));
  }

  /** Where the record last returned by `next()` starts. */
  get position(): SourcePos {
    return this.#pos;
  }

  /** The next record, or null at the end of the zone. Throws ZoneParseError. */
  next(): RR | null {
    for (;;) {
      const frame = this.#stack[this.#stack.length - 1]!;
      const entry = frame.lexer.next();
      if (entry === null) {
        if (this.#stack.length === 1) return null;
        this.#stack.pop();
        continue;
      }
      const first = entry.tokens[0]!;
      if (!entry.blankOwner && !first.quoted && first.text.startsWith('$')) {
        this.#directive(frame, entry.tokens);
        continue;
      }
      return this.#record(frame, entry.tokens, entry.blankOwner);
    }
  }

  #frame(text: string, file: string, origin: string): Frame {
    const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    return { lexer: new Lexer(body, file), file, absPath: resolve(file), origin, prevOwner: null, originJustSet: false };
  }

  #fail(frame: Frame, tok: Token, reason: string): never {
    throw new ZoneParseError(frame.file, tok.line, tok.col, reason);
  }

  #warn(frame: Frame, tok: Token, message: string): void {
    this.warnings.push({ message, pos: { file: frame.file, line: tok.line, col: tok.col } });
  }

  /** A domain name token made absolute, checked, and with escapes in one canonical spelling. */
  #name(frame: Frame, tok: Token, origin: string): string {
    if (tok.quoted) this.#fail(frame, tok, `a name cannot be quoted: "${tok.text}"`);
    const name = fqdn(tok.text, origin);
    let wire: Uint8Array;
    try {
      wire = nameToWire(name);
    } catch (e) {
      this.#fail(frame, tok, `bad name "${tok.text}": ${(e as Error).message}`);
    }
    return name.includes('\\') ? readName(wire, 0).name : name;
  }

  #directive(frame: Frame, tokens: Token[]): void {
    const d = tokens[0]!;
    const kw = d.text.toUpperCase();
    const arg = tokens[1];
    if (kw === '$ORIGIN' || kw === '$TTL') {
      if (!arg) this.#fail(frame, d, `${kw} needs a value`);
      if (tokens.length > 2) this.#fail(frame, tokens[2]!, `unexpected text after ${kw} value`);
      if (kw === '$ORIGIN') {
        frame.origin = this.#name(frame, arg, frame.origin);
        frame.originJustSet = true;
      } else {
        this.#defaultTtl = this.#ttl(frame, arg, `bad $TTL value "${arg.text}"`);
      }
      return;
    }
    if (kw === '$INCLUDE') return this.#include(frame, d, tokens);
    this.#fail(frame, d, `unsupported directive ${d.text}`);
  }

  #include(frame: Frame, d: Token, tokens: Token[]): void {
    if (!this.#opts.allowInclude) this.#fail(frame, d, '$INCLUDE is not enabled for this zone');
    const fileTok = tokens[1];
    if (!fileTok) this.#fail(frame, d, '$INCLUDE needs a file name');
    if (tokens.length > 3) this.#fail(frame, tokens[3]!, 'unexpected text after $INCLUDE origin');
    const origin = tokens[2] ? this.#name(frame, tokens[2], frame.origin) : frame.origin;
    const max = this.#opts.maxIncludeDepth ?? 16;
    if (this.#stack.length > max) this.#fail(frame, d, `$INCLUDE nested deeper than ${max} files`);
    const target = fileTok.text;
    const shown = isAbsolutePath(target) ? target : join(dirname(frame.file), target);
    const abs = resolve(dirname(frame.absPath), target);
    const loop = this.#stack.find((f) => f.absPath === abs);
    if (loop) this.#fail(frame, fileTok, `$INCLUDE loop: ${shown} is already being read`);
    let text: string;
    try {
      text = (this.#opts.readFile ?? ((p: string) => readRegularFile(p).toString('utf8')))(abs);
    } catch (e) {
      const why = e instanceof FileRefused ? e.message : (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      this.#fail(frame, fileTok, `cannot read $INCLUDE file ${shown}: ${why}`);
    }
    const inner = this.#frame(text, shown, origin);
    inner.absPath = abs;
    this.#stack.push(inner);
  }

  #ttl(frame: Frame, tok: Token, bad: string): number {
    const v = tok.quoted ? undefined : parseTtl(tok.text);
    if (v === undefined) this.#fail(frame, tok, bad);
    if (v === Infinity) this.#fail(frame, tok, `TTL ${tok.text} is out of range`);
    if (v > MAX_TTL) {
      this.#warn(frame, tok, `TTL ${tok.text} is above 2^31-1; using 0 (RFC 2181 §8)`);
      return 0;
    }
    return v;
  }

  #record(frame: Frame, tokens: Token[], blankOwner: boolean): RR {
    const head = tokens[0]!;
    let i = 0;
    let owner: string;
    if (blankOwner) {
      if (frame.prevOwner === null) this.#fail(frame, head, 'no owner name, and no previous record to take it from');
      if (frame.originJustSet) {
        this.#warn(frame, head, `record inherits the owner ${frame.prevOwner} right after $ORIGIN ${frame.origin}`);
      }
      owner = frame.prevOwner;
    } else {
      owner = this.#name(frame, head, frame.origin);
      frame.prevOwner = owner;
      i = 1;
    }
    frame.originJustSet = false;
    let ttl: number | null = null;
    let cls: number | null = null;
    let typeTok: Token | undefined;
    for (; i < tokens.length; i++) {
      const tok = tokens[i]!;
      const c = tok.text.charCodeAt(0);
      if (!tok.quoted && c >= 0x30 && c <= 0x39) {
        if (ttl !== null) this.#fail(frame, tok, `TTL given twice ("${tok.text}")`);
        ttl = this.#ttl(frame, tok, `bad TTL "${tok.text}"`);
        continue;
      }
      const k = tok.quoted ? undefined : classFromString(tok.text);
      if (k !== undefined) {
        if (cls !== null) this.#fail(frame, tok, `class given twice ("${tok.text}")`);
        if (k !== this.#class) {
          this.#fail(frame, tok, `class ${classToString(k)} does not match the zone class ${classToString(this.#class)}`);
        }
        cls = k;
        continue;
      }
      typeTok = tok;
      break;
    }
    if (!typeTok) this.#fail(frame, tokens[tokens.length - 1]!, 'missing RR type');
    const type = typeTok.quoted ? undefined : rrTypeFromString(typeTok.text);
    if (type === undefined) this.#fail(frame, typeTok, `unknown RR type "${typeTok.text}"`);
    if (META_TYPES.has(type)) this.#fail(frame, typeTok, `${typeTok.text} is not a type of zone data`);
    const fields = tokens.slice(i + 1);
    let rdata: Uint8Array;
    try {
      rdata = rdataFromText(type, fields, frame.origin);
    } catch (e) {
      if (!(e instanceof Error)) throw e;
      const pe = e instanceof PresentationError;
      const at = pe && e.line > 0 ? e : (fields[0] ?? typeTok);
      throw new ZoneParseError(frame.file, at.line, at.col, pe ? e.message : `${typeTok.text.toUpperCase()}: ${e.message}`);
    }
    this.#pos = { file: frame.file, line: head.line, col: head.col };
    return { name: owner, type, class: this.#class, ttl: this.#recordTtl(frame, head, ttl, type, rdata), rdata };
  }

  #recordTtl(frame: Frame, head: Token, explicit: number | null, type: number, rdata: Uint8Array): number {
    if (explicit !== null) {
      this.#lastTtl = explicit;
      return explicit;
    }
    if (this.#defaultTtl !== null) return this.#defaultTtl;
    if (this.#lastTtl !== null) {
      if (!this.#warned1035) {
        this.#warned1035 = true;
        this.#warn(frame, head, 'no TTL and no $TTL: using the previous TTL (RFC 1035 rule)');
      }
      return this.#lastTtl;
    }
    if (type === SOA && rdata.length >= 20) {
      const v = rdata.length;
      const min = ((rdata[v - 4]! << 24) | (rdata[v - 3]! << 16) | (rdata[v - 2]! << 8) | rdata[v - 1]!) >>> 0;
      const ttl = min > MAX_TTL ? 0 : min;
      this.#warn(frame, head, `no TTL specified; using the SOA MINIMUM (${ttl}) as the default TTL`);
      this.#defaultTtl = ttl;
      this.#lastTtl = ttl;
      return ttl;
    }
    this.#fail(frame, head, 'no TTL specified (use $TTL or give one on the first record)');
  }
}

/** Parses a whole zone text: records, where each starts, and warnings. Throws ZoneParseError. */
export function parseZone(text: string, opts: ZoneParserOptions): { rrs: RR[]; positions: SourcePos[]; warnings: ZoneIssue[] } {
  const p = new ZoneParser(text, opts);
  const rrs: RR[] = [];
  const positions: SourcePos[] = [];
  for (let rr = p.next(); rr !== null; rr = p.next()) {
    rrs.push(rr);
    positions.push(p.position);
  }
  return { rrs, positions, warnings: p.warnings };
}
