/**
 * The full message model for cold paths (zones, updates, tests, upstream answers that must be
 * inspected). The hot path never builds these: see query-view.ts.
 *
 * Names are presentation-format FQDNs with a trailing dot and the original case
 * (`Host1.home.lan.`, root is `.`); labels with special bytes use `\.` `\\` and `\DDD` escapes.
 * Compare them with `canonicalName()` / `nameEquals()` from name.ts.
 *
 * RDATA is kept as uncompressed wire bytes (names inside it expanded, original case kept):
 * equality, sorting and re-encoding are then byte operations, and only rdata/ knows each type's
 * fields.
 */
export interface Question {
  name: string;
  type: number;
  class: number;
}

export interface RR {
  name: string;
  type: number;
  class: number;
  ttl: number;
  rdata: Uint8Array;
}

export interface EdnsOptionData {
  code: number;
  data: Uint8Array;
}

export interface Edns {
  udpSize: number;
  /** Upper 8 bits of the extended RCODE as carried in the OPT TTL. */
  extRcode: number;
  version: number;
  do: boolean;
  options: EdnsOptionData[];
}

export interface Header {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  z: boolean;
  ad: boolean;
  cd: boolean;
  /** The full RCODE: low 4 bits in the header, high bits in OPT when present. */
  rcode: number;
}

export interface Message extends Header {
  question: Question[];
  answer: RR[];
  authority: RR[];
  /** Additional records other than OPT (OPT is `edns`); a TSIG record, if any, is last. */
  additional: RR[];
  edns: Edns | null;
}

export function emptyMessage(partial: Partial<Message> = {}): Message {
  return {
    id: 0, qr: false, opcode: 0, aa: false, tc: false, rd: false, ra: false, z: false, ad: false, cd: false,
    rcode: 0, question: [], answer: [], authority: [], additional: [], edns: null, ...partial,
  };
}
