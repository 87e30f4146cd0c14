/**
 * Resource records as zone-file text. The zone lexer owns tokenizing; this module owns the
 * meaning of RDATA fields (see rdata/) and prints records the way `named-compilezone -o -` does.
 */
import { classToString } from './constants.js';
import type { RR } from './types.js';
import { rdataToText, rrTypeToString } from './rdata/index.js';

export { PresentationError, type Token } from './rdata/text-error.js';

/** `owner TTL CLASS TYPE RDATA`, tab separated, names absolute. */
export function rrToText(rr: RR): string {
  return `${rr.name}\t${rr.ttl}\t${classToString(rr.class)}\t${rrTypeToString(rr.type)}\t${rdataToText(rr.type, rr.rdata)}`;
}
