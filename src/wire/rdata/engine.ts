import { WireError } from '../errors.js';
import { nameToWire, readName } from '../name.js';
import { Writer } from '../writer.js';
import { Flag, type TypeSpec } from './schema.js';

/** Schema-driven walks over RDATA: validation, expansion of received names, compressed writing. */

/** Validates an uncompressed RDATA against its type's layout; throws WireError. */
export function checkRdata(spec: TypeSpec, b: Uint8Array, start: number, end: number): void {
  let pos = start;
  for (const f of spec.fields) pos = f.codec.span(b, pos, end);
  if (pos !== end) throw new WireError(`${end - pos} trailing bytes after rdata fields`, pos);
}

const scratch = new Writer(512);

/**
 * Copies RDATA out of a received message, expanding compression pointers in its names
 * (only called for types where RFC 3597 §4 allows them on receipt).
 */
export function expandRdata(spec: TypeSpec, b: Uint8Array, start: number, end: number): Uint8Array {
  scratch.reset();
  let pos = start;
  for (const f of spec.fields) {
    if (f.codec.isName) {
      const r = readName(b, pos, b.length);
      if (r.next > end) throw new WireError('name runs past the end of rdata', pos);
      scratch.bytes(nameToWire(r.name));
      pos = r.next;
    } else {
      const next = f.codec.span(b, pos, end);
      scratch.bytes(b.subarray(pos, next));
      pos = next;
    }
  }
  if (pos !== end) throw new WireError(`${end - pos} trailing bytes after rdata fields`, pos);
  return new Uint8Array(scratch.view());
}

/** Writes RDATA with its names compressed (types with Flag.Compress); RDLENGTH is patched. */
export function writeCompressed(w: Writer, spec: TypeSpec, rdata: Uint8Array): void {
  const at = w.offset;
  w.u16(0);
  let pos = 0;
  for (const f of spec.fields) {
    if (f.codec.isName) {
      pos += w.wireName(rdata, pos, true);
    } else {
      const next = f.codec.span(rdata, pos, rdata.length);
      w.bytes(rdata.subarray(pos, next));
      pos = next;
    }
  }
  w.patchU16(at, w.offset - at - 2);
}

/** A copy of RDATA with the ASCII letters of its names lower-cased (RFC 4034 §6.2). */
export function lowerNames(spec: TypeSpec, rdata: Uint8Array): Uint8Array {
  const out = new Uint8Array(rdata);
  if (!(spec.flags & Flag.Lower) || !spec.hasName) return out;
  let pos = 0;
  for (const f of spec.fields) {
    const next = f.codec.span(rdata, pos, rdata.length);
    if (f.codec.isName) {
      for (let i = pos; i < next; i++) {
        const c = out[i]!;
        if (c >= 0x41 && c <= 0x5a) out[i] = c | 0x20;
      }
    }
    pos = next;
  }
  return out;
}
