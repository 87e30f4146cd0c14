/**
 * DNS registry numbers as numeric `as const` maps (miekg/dns style): the hot path compares
 * numbers; the string tables are for presentation, logs and metrics labels only.
 */

export const RRType = {
  A: 1, NS: 2, MD: 3, MF: 4, CNAME: 5, SOA: 6, MB: 7, MG: 8, MR: 9, NULL: 10, PTR: 12, HINFO: 13,
  MINFO: 14, MX: 15, TXT: 16, RP: 17, AFSDB: 18, RT: 21, SIG: 24, KEY: 25, PX: 26, AAAA: 28, NXT: 30, LOC: 29, SRV: 33, NAPTR: 35, KX: 36, CERT: 37, DNAME: 39, OPT: 41,
  APL: 42, DS: 43, SSHFP: 44, IPSECKEY: 45, RRSIG: 46, NSEC: 47, DNSKEY: 48, DHCID: 49,
  NSEC3: 50, NSEC3PARAM: 51, TLSA: 52, SMIMEA: 53, CDS: 59, CDNSKEY: 60, OPENPGPKEY: 61,
  CSYNC: 62, ZONEMD: 63, SVCB: 64, HTTPS: 65, SPF: 99, EUI48: 108, EUI64: 109, TKEY: 249, TSIG: 250, IXFR: 251,
  AXFR: 252, MAILB: 253, MAILA: 254, ANY: 255, URI: 256, CAA: 257,
} as const;
export type RRType = number;

export const RClass = { IN: 1, CH: 3, HS: 4, NONE: 254, ANY: 255 } as const;

export const Opcode = { Query: 0, IQuery: 1, Status: 2, Notify: 4, Update: 5 } as const;

export const RCode = {
  NoError: 0, FormErr: 1, ServFail: 2, NXDomain: 3, NotImp: 4, Refused: 5,
  YXDomain: 6, YXRRSet: 7, NXRRSet: 8, NotAuth: 9, NotZone: 10,
  /** Extended RCODEs (need OPT) and TSIG error codes share the 16..23 range. */
  BadVers: 16, BadSig: 16, BadKey: 17, BadTime: 18, BadMode: 19, BadName: 20, BadAlg: 21,
  BadTrunc: 22, BadCookie: 23,
} as const;

export const EdnsOption = { NSID: 3, ClientSubnet: 8, Expire: 9, Cookie: 10, TcpKeepalive: 11, Padding: 12, EDE: 15 } as const;

/** RFC 8914 Extended DNS Error info codes used by horizond. */
export const EdeCode = {
  Other: 0, StaleAnswer: 3, ForgedAnswer: 4, Blocked: 15, Censored: 16, Filtered: 17,
  Prohibited: 18, StaleNXDomainAnswer: 19, NotAuthoritative: 20, NotSupported: 21,
  NoReachableAuthority: 22, NetworkError: 23,
} as const;

/** Header flag bits in the 16-bit flags word (bytes 2..3). */
export const Flag = {
  QR: 0x8000, AA: 0x0400, TC: 0x0200, RD: 0x0100, RA: 0x0080, Z: 0x0040, AD: 0x0020, CD: 0x0010,
} as const;

export const HEADER_SIZE = 12;
export const MAX_NAME_WIRE = 255;
export const MAX_LABEL = 63;
export const DEFAULT_EDNS_UDP_SIZE = 1232;

const typeNames = new Map<number, string>();
for (const [k, v] of Object.entries(RRType)) typeNames.set(v, k);
const typeNumbers = new Map<string, number>();
for (const [k, v] of Object.entries(RRType)) typeNumbers.set(k, v);

/** Presentation name of a type: `A`, `HTTPS`, or RFC 3597 `TYPE65400`. */
export function typeToString(t: number): string {
  return typeNames.get(t) ?? `TYPE${t}`;
}

/** Parses `AAAA` or `TYPE28` (case-insensitive); undefined when unknown. */
export function typeFromString(s: string): number | undefined {
  const u = s.toUpperCase();
  const known = typeNumbers.get(u);
  if (known !== undefined) return known;
  const m = /^TYPE(\d{1,5})$/.exec(u);
  if (m) {
    const n = Number(m[1]);
    if (n <= 0xffff) return n;
  }
  return undefined;
}

const classNames = new Map<number, string>([[1, 'IN'], [3, 'CH'], [4, 'HS'], [254, 'NONE'], [255, 'ANY']]);
export function classToString(c: number): string {
  return classNames.get(c) ?? `CLASS${c}`;
}
export function classFromString(s: string): number | undefined {
  const u = s.toUpperCase();
  for (const [n, name] of classNames) if (name === u) return n;
  const m = /^CLASS(\d{1,5})$/.exec(u);
  if (m) {
    const n = Number(m[1]);
    if (n <= 0xffff) return n;
  }
  return undefined;
}

const rcodeNames = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];
export function rcodeToString(r: number): string {
  if (r < rcodeNames.length) return rcodeNames[r]!;
  if (r === 16) return 'BADVERS';
  return `RCODE${r}`;
}

