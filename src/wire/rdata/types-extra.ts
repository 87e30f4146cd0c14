import { RRType, typeFromString, typeToString } from '../constants.js';

/**
 * The obsolete RFC 1035 mail types and a few others BIND still prints by name; they are part of
 * RRType, and this module keeps the names the codec uses for them.
 */
export const ExtraType = {
  MD: RRType.MD, MF: RRType.MF, MB: RRType.MB, MG: RRType.MG, MR: RRType.MR, MINFO: RRType.MINFO,
  RT: RRType.RT, SIG: RRType.SIG, KEY: RRType.KEY, PX: RRType.PX, NXT: RRType.NXT,
  EUI48: RRType.EUI48, EUI64: RRType.EUI64,
} as const;

/** Presentation name of a type (`A`, `MINFO`, `TYPE65400`). */
export const rrTypeToString: (t: number) => string = typeToString;

/** Type number from `AAAA`, `eui48` or `TYPE28`; undefined when unknown. */
export const rrTypeFromString: (s: string) => number | undefined = typeFromString;
