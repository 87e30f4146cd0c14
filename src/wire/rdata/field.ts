import type { Writer } from '../writer.js';
import type { TextCursor } from './text-cursor.js';

/**
 * How one RDATA field is validated on the wire, parsed from zone-file tokens and printed.
 * The schema (schema.ts) lists each type's fields; the engine (engine.ts) drives these.
 */
export interface FieldCodec {
  /** Validates the field at `pos` of an RDATA ending at `end`; returns the offset after it. Throws WireError. */
  span(b: Uint8Array, pos: number, end: number): number;
  /** Consumes the field's tokens and appends its wire form. Throws PresentationError. */
  parse(cur: TextCursor, out: Writer, label: string): void;
  /** Presentation text of the (already validated) field between `pos` and `end`; '' prints nothing. */
  print(b: Uint8Array, pos: number, end: number): string;
  /** True for an embedded domain name (compression, case-folding). */
  readonly isName?: boolean;
}

/** Splits a long base64/hex text into the 56-character groups BIND prints. */
export function chunk56(s: string): string {
  if (s.length <= 56) return s;
  const parts: string[] = [];
  for (let i = 0; i < s.length; i += 56) parts.push(s.slice(i, i + 56));
  return parts.join(' ');
}
