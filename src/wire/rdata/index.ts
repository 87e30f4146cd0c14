/**
 * RDATA codec for every RR type. An RR's RDATA is held as uncompressed wire bytes with the
 * original case (types.ts); this module moves it between received messages, written messages
 * and presentation text, driven by the per-type field table in schema.ts. Types without a
 * layout are handled as RFC 3597 opaque data.
 */
import { RRType } from '../constants.js';
import { WireError } from '../errors.js';
import { readName } from '../name.js';
import { Writer } from '../writer.js';
import { checkRdata, expandRdata, lowerNames, writeCompressed } from './engine.js';
import { genericToText, isGenericText, parseGeneric } from './generic.js';
import { Flag, specFor } from './schema.js';
import { TextCursor } from './text-cursor.js';
import type { Token } from './text-error.js';
import { rrTypeToString } from './types-extra.js';

export { svcbAddressHints } from './svcb.js';
export { rrTypeFromString, rrTypeToString } from './types-extra.js';
export { encodeTypeBitmap } from './fields-dnssec.js';

/**
 * Reads `length` bytes of RDATA at `offset` of a received message `buf`. Compression pointers
 * in embedded names are expanded for the types where RFC 3597 §4 allows them on receipt
 * (RFC 1035 types, RP, AFSDB, RT, SIG, PX, NXT, NAPTR, SRV) and rejected elsewhere. Known types
 * are validated against their layout; unknown types are copied. Throws WireError.
 */
export function readRdata(type: number, buf: Uint8Array, offset: number, length: number): Uint8Array {
  const end = offset + length;
  if (end > buf.length) throw new WireError('rdata runs past the end of the message', offset);
  const spec = specFor(type);
  if (spec === undefined) return new Uint8Array(buf.subarray(offset, end));
  if (spec.flags & Flag.PointersOnRead) return expandRdata(spec, buf, offset, end);
  checkRdata(spec, buf, offset, end);
  return new Uint8Array(buf.subarray(offset, end));
}

/**
 * Writes RDLENGTH + RDATA at the writer's offset. Names are compressed only for the RFC 1035
 * types (NS, CNAME, SOA, PTR, MX, MINFO, MB, MG, MR, MD, MF); everything else is copied as is.
 */
export function writeRdata(w: Writer, type: number, rdata: Uint8Array): void {
  const spec = specFor(type);
  if (spec !== undefined && spec.flags & Flag.Compress) {
    writeCompressed(w, spec, rdata);
    return;
  }
  if (rdata.length > 0xffff) throw new WireError('rdata longer than 65535 bytes');
  w.u16(rdata.length);
  w.bytes(rdata);
}

/**
 * Parses the RDATA tokens of one zone-file record. Relative names are completed with `origin`
 * (`@` is the origin). The RFC 3597 form `\# len hex` is accepted for every type and checked
 * against the layout of known types. Throws PresentationError pointing at the offending token.
 */
export function rdataFromText(type: number, fields: Token[], origin: string): Uint8Array {
  const typeName = rrTypeToString(type);
  const cur = new TextCursor(typeName, fields, origin);
  const spec = specFor(type);
  if (isGenericText(cur)) {
    const rdata = parseGeneric(cur);
    if (spec !== undefined) {
      try {
        checkRdata(spec, rdata, 0, rdata.length);
      } catch (e) {
        if (e instanceof WireError) cur.fail(fields[0]!, `\\# data is not valid ${typeName} rdata: ${e.message}`);
        throw e;
      }
    }
    return rdata;
  }
  if (spec === undefined || spec.flags & Flag.WireOnly) {
    return cur.fail(fields[0] ?? null, `no presentation format known, write the RDATA as \\# <length> <hex>`);
  }
  const out = new Writer(64);
  for (const f of spec.fields) f.codec.parse(cur, out, f.label);
  if (!cur.done) cur.fail(fields[cur.i]!, `unexpected "${fields[cur.i]!.text}" after the RDATA`);
  if (out.offset > 0xffff) cur.fail(fields[0] ?? null, 'RDATA longer than 65535 bytes');
  return new Uint8Array(out.view());
}

/**
 * Presentation text of RDATA as `named-compilezone -o -` prints it: names absolute,
 * character-strings quoted, SOA timers as numbers, long base64/hex in 56-character groups.
 * Unknown types (and RDATA not matching its type's layout) print as `\# len hex`.
 */
export function rdataToText(type: number, rdata: Uint8Array): string {
  const spec = specFor(type);
  if (spec === undefined || spec.flags & Flag.WireOnly) return genericToText(rdata);
  try {
    const parts: string[] = [];
    let pos = 0;
    for (const f of spec.fields) {
      const next = f.codec.span(rdata, pos, rdata.length);
      const s = f.codec.print(rdata, pos, next);
      if (s !== '') parts.push(s);
      pos = next;
    }
    if (pos !== rdata.length) return genericToText(rdata);
    return parts.join(' ');
  } catch (e) {
    if (e instanceof WireError) return genericToText(rdata);
    throw e;
  }
}

const targetOffset = new Map<number, number>([
  [RRType.NS, 0], [RRType.CNAME, 0], [RRType.PTR, 0], [RRType.DNAME, 0],
  [RRType.MX, 2], [RRType.SRV, 6], [RRType.SVCB, 2], [RRType.HTTPS, 2],
]);

/**
 * The name additional-section processing or a CNAME/DNAME chase needs: NS/CNAME/PTR/DNAME
 * target, MX exchange, SRV target, SVCB/HTTPS target (`.` is returned as is: it means the
 * owner in ServiceMode). Null for other types.
 */
export function rdataTargetName(type: number, rdata: Uint8Array): string | null {
  const at = targetOffset.get(type);
  if (at === undefined) return null;
  return readName(rdata, at).name;
}

/**
 * RR equality as RFC 2181/4034 define it: embedded domain names compare case-insensitively for
 * the types whose names are lower-cased in DNSSEC canonical form (RFC 4034 §6.2), everything
 * else byte for byte.
 */
export function rdataEquals(type: number, a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  if (Buffer.compare(a, b) === 0) return true;
  const spec = specFor(type);
  if (spec === undefined || !(spec.flags & Flag.Lower) || !spec.hasName) return false;
  try {
    return Buffer.compare(lowerNames(spec, a), lowerNames(spec, b)) === 0;
  } catch (e) {
    if (e instanceof WireError) return false;
    throw e;
  }
}

/** RDATA in DNSSEC canonical form (RFC 4034 §6.2): names lower-cased for the listed types. */
export function canonicalRdata(type: number, rdata: Uint8Array): Uint8Array {
  const spec = specFor(type);
  return spec === undefined ? new Uint8Array(rdata) : lowerNames(spec, rdata);
}
