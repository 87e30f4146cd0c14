/**
 * TTL values in zone files: plain seconds (`3600`) or BIND unit form (`1h30m`, `1w`, `2d`,
 * units w/d/h/m/s in either case, every number followed by a unit). `1h30` is not a TTL (BIND
 * reads it as an unknown type).
 */

/** Largest TTL a record may carry (RFC 2181 §8); BIND loads larger values as 0 with a warning. */
export const MAX_TTL = 0x7fffffff;

const UNIT: Record<string, number> = { w: 604800, d: 86400, h: 3600, m: 60, s: 1 };

/**
 * Seconds for a TTL text, or undefined when the text is not in TTL syntax; `Infinity` when the
 * syntax is right but the value does not fit 32 bits.
 */
export function parseTtl(text: string): number | undefined {
  if (/^\d+$/.test(text)) {
    const v = Number(text);
    return v > 0xffffffff ? Infinity : v;
  }
  if (!/^(\d+[wdhms])+$/i.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/(\d+)([wdhms])/gi)) total += Number(m[1]) * UNIT[m[2]!.toLowerCase()]!;
  return total > 0xffffffff ? Infinity : total;
}
