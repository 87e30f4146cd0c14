import { MAX_NAME_WIRE } from '../constants.js';
import { WireError } from '../errors.js';
import { fqdn, nameToWire, readName } from '../name.js';
import type { FieldCodec } from './field.js';

/**
 * An embedded domain name, held uncompressed. Whether it may be compressed on write or arrive
 * compressed is a property of the RR type (schema flags), handled by the engine.
 */
export const name: FieldCodec = {
  isName: true,
  span: spanName,
  parse(cur, out, label) {
    const t = cur.next(label);
    try {
      out.bytes(nameToWire(fqdn(t.text, cur.origin)));
    } catch (e) {
      if (e instanceof WireError) cur.fail(t, `"${t.text}" is not a valid ${label}: ${e.message}`);
      throw e;
    }
  },
  print: (b, pos) => readName(b, pos).name,
};

/** Validates an uncompressed name at `pos`; returns the offset after its root label. */
export function spanName(b: Uint8Array, pos: number, end: number): number {
  const start = pos;
  for (;;) {
    if (pos >= end) throw new WireError('name runs past the end of rdata', pos);
    const len = b[pos]!;
    if (len === 0) break;
    if (len > 63) throw new WireError('compressed or extended label in rdata where it is not allowed', pos);
    pos += len + 1;
  }
  pos++;
  if (pos - start > MAX_NAME_WIRE) throw new WireError('name in rdata longer than 255 bytes', start);
  return pos;
}
