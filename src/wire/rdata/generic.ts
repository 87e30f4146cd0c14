import { chunk56 } from './field.js';
import type { TextCursor } from './text-cursor.js';

/** RFC 3597 §5 generic RDATA: `\# <length> <hex...>`. */

/** True when the RDATA tokens use the generic form. */
export function isGenericText(cur: TextCursor): boolean {
  const t = cur.tokens[0];
  return t !== undefined && !t.quoted && t.text === '\\#';
}

/** Parses `\# len hex...` (hex may be split over several tokens; `\# 0` is empty RDATA). */
export function parseGeneric(cur: TextCursor): Uint8Array {
  cur.next('\\#');
  const lt = cur.next('RDATA length after \\#');
  const len = cur.int(lt, 0xffff, 'RDATA length');
  const rest = cur.rest();
  const hex = rest.map((t) => t.text).join('');
  const blame = rest[0] ?? lt;
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) cur.fail(blame, 'generic RDATA is not valid hex');
  if (hex.length !== len * 2) cur.fail(blame, `generic RDATA has ${hex.length / 2} bytes, \\# said ${len}`);
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** `\# 4 0A000001`, hex upper-case in 56-character groups like BIND. */
export function genericToText(rdata: Uint8Array): string {
  if (rdata.length === 0) return '\\# 0';
  return `\\# ${rdata.length} ${chunk56(Buffer.from(rdata).toString('hex').toUpperCase())}`;
}
