import type { Zone } from '../zone/zone.js';

/** A secondary's SOA timers in seconds (RFC 1035 §3.3.13), each at least 1 s. */
export interface SoaTimers {
  refresh: number;
  retry: number;
  expire: number;
}

/** REFRESH, RETRY and EXPIRE of the zone's SOA (the 2nd..4th of its five trailing 32-bit fields). */
export function soaTimers(zone: Zone): SoaTimers {
  const rd = zone.soa.rrs[0]!.rdata;
  const v = new DataView(rd.buffer, rd.byteOffset, rd.byteLength);
  const end = rd.byteLength;
  const at = (i: number): number => Math.max(1, v.getUint32(end - 20 + 4 * i));
  return { refresh: at(1), retry: at(2), expire: at(3) };
}
