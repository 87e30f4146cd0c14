import { RRType } from '../constants.js';
import type { FieldCodec } from './field.js';
import { certAlg, certType, eui, ipv4, ipv6, period, secAlg, u16, u32, u8 } from './fields-basic.js';
import { base64Rest, hashedName, hexRest, salt } from './fields-binary.js';
import { rrType, sigTime, typeBitmap } from './fields-dnssec.js';
import { name } from './fields-name.js';
import { caaTag, cstring, cstrings, stringRest } from './fields-string.js';
import { apl } from './apl.js';
import { ipsecGateway } from './ipseckey.js';
import { loc } from './loc.js';
import { svcParams } from './svcb.js';
import { ExtraType } from './types-extra.js';
import { HzError } from '../../errors/index.js';

/** Type-level properties of the embedded names (RFC 3597 §4, RFC 4034 §6.2). */
export const Flag = {
  /** Names may be compressed when writing (RFC 1035 types only, RFC 3597 §4). */
  Compress: 1,
  /** Names may arrive compressed and are expanded on receipt (RFC 3597 §4). */
  PointersOnRead: 2,
  /** Names are lower-cased in DNSSEC canonical form, so compare case-insensitively (RFC 4034 §6.2). */
  Lower: 4,
  /** Layout known for reading only; presentation uses the RFC 3597 generic form. */
  WireOnly: 8,
} as const;

/** One field of a type's layout. */
export interface FieldSpec {
  codec: FieldCodec;
  /** Field name for error messages (`preference`, `target`...). */
  label: string;
}

/** A type's layout: its fields in wire order and the Flag bits for its embedded names. */
export interface TypeSpec {
  fields: FieldSpec[];
  flags: number;
  /** True when some field is a domain name. */
  hasName: boolean;
}

const kinds: Record<string, FieldCodec> = {
  u8, u16, u32, period, ipv4, ipv6, name, cstring, cstrings, secAlg, certAlg, certType, rrType,
  time: sigTime, salt, hashed: hashedName, hex: hexRest, b64: base64Rest(true), b64opt: base64Rest(false),
  types: typeBitmap(false), types1: typeBitmap(true), caaTag, caaValue: stringRest(true),
  uriTarget: stringRest(false), svcParams, loc, apl, ipsecGateway, eui48: eui(6), eui64: eui(8),
};

const { Compress: C, PointersOnRead: P, Lower: L, WireOnly: W } = Flag;
const T = RRType;
const X = ExtraType;
const SIG_FIELDS = 'rrType:type-covered secAlg:algorithm u8:labels u32:original-TTL time:expiration time:inception u16:key-tag name:signer b64:signature';
const KEY_FIELDS = 'u16:flags u8:protocol secAlg:algorithm b64:public-key';
const DS_FIELDS = 'u16:key-tag secAlg:algorithm u8:digest-type hex:digest';
const TLSA_FIELDS = 'u8:usage u8:selector u8:matching-type hex:certificate-data';

/** Every type with a known layout: `kind:label` fields in wire order, and flags. */
const table: [number, string, number][] = [
  [T.A, 'ipv4:address', 0],
  [T.NS, 'name:nsdname', C | P | L],
  [X.MD, 'name:madname', C | P | L],
  [X.MF, 'name:madname', C | P | L],
  [T.CNAME, 'name:target', C | P | L],
  [T.SOA, 'name:mname name:rname u32:serial period:refresh period:retry period:expire period:minimum', C | P | L],
  [X.MB, 'name:madname', C | P | L],
  [X.MG, 'name:mgmname', C | P | L],
  [X.MR, 'name:newname', C | P | L],
  [T.PTR, 'name:ptrdname', C | P | L],
  [T.HINFO, 'cstring:cpu cstring:os', 0],
  [X.MINFO, 'name:rmailbx name:emailbx', C | P | L],
  [T.MX, 'u16:preference name:exchange', C | P | L],
  [T.TXT, 'cstrings:text', 0],
  [T.RP, 'name:mbox name:txtdname', P | L],
  [T.AFSDB, 'u16:subtype name:hostname', P | L],
  [X.RT, 'u16:preference name:intermediate-host', P | L],
  [X.SIG, SIG_FIELDS, P | L],
  [X.KEY, KEY_FIELDS, 0],
  [X.PX, 'u16:preference name:map822 name:mapx400', P | L],
  [T.AAAA, 'ipv6:address', 0],
  [T.LOC, 'loc:location', 0],
  [X.NXT, 'name:next hex:bitmap', P | L | W],
  [T.SRV, 'u16:priority u16:weight u16:port name:target', P | L],
  [T.NAPTR, 'u16:order u16:preference cstring:flags cstring:services cstring:regexp name:replacement', P | L],
  [T.KX, 'u16:preference name:exchanger', L],
  [T.CERT, 'certType:cert-type u16:key-tag certAlg:algorithm b64:certificate', 0],
  [T.DNAME, 'name:target', L],
  [T.APL, 'apl:prefixes', 0],
  [T.DS, DS_FIELDS, 0],
  [T.SSHFP, 'u8:algorithm u8:fp-type hex:fingerprint', 0],
  [T.IPSECKEY, 'u8:precedence ipsecGateway:gateway b64opt:public-key', 0],
  [T.RRSIG, SIG_FIELDS, L],
  [T.NSEC, 'name:next-domain types1:type-bitmap', L],
  [T.DNSKEY, KEY_FIELDS, 0],
  [T.DHCID, 'b64:digest', 0],
  [T.NSEC3, 'u8:hash-algorithm u8:flags u16:iterations salt:salt hashed:next-hashed-owner types:type-bitmap', 0],
  [T.NSEC3PARAM, 'u8:hash-algorithm u8:flags u16:iterations salt:salt', 0],
  [T.TLSA, TLSA_FIELDS, 0],
  [T.SMIMEA, TLSA_FIELDS, 0],
  [T.CDS, DS_FIELDS, 0],
  [T.CDNSKEY, KEY_FIELDS, 0],
  [T.OPENPGPKEY, 'b64:public-key', 0],
  [T.CSYNC, 'u32:serial u16:flags types:type-bitmap', 0],
  [T.ZONEMD, 'u32:serial u8:scheme u8:hash-algorithm hex:digest', 0],
  [T.SVCB, 'u16:priority name:target svcParams:params', 0],
  [T.HTTPS, 'u16:priority name:target svcParams:params', 0],
  [T.SPF, 'cstrings:text', 0],
  [X.EUI48, 'eui48:address', 0],
  [X.EUI64, 'eui64:address', 0],
  [T.URI, 'u16:priority u16:weight uriTarget:target', 0],
  [T.CAA, 'u8:flags caaTag:tag caaValue:value', 0],
];

const specs = new Map<number, TypeSpec>();
for (const [type, layout, flags] of table) {
  const fields = layout.split(' ').map((f) => {
    const [kind, label] = f.split(':') as [string, string];
    const codec = kinds[kind];
    if (!codec) throw new HzError('HZ_ERR_INTERNAL', `rdata schema: unknown field kind ${kind}`);
    return { codec, label: label.replace(/-/g, ' ') };
  });
  specs.set(type, { fields, flags, hasName: fields.some((f) => f.codec.isName === true) });
}

/** The layout of a type, or undefined when only RFC 3597 generic handling applies. */
export function specFor(type: number): TypeSpec | undefined {
  return specs.get(type);
}
