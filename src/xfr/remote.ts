import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { RemoteServerConfig } from '../config/types.js';
import type { Endpoint } from './client.js';

/** Host name → addresses (the system resolver by default; tests pass their own). */
export type Resolve = (host: string) => Promise<string[]>;

export const systemResolve: Resolve = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Where a configured primary or notify target is, now. An IP address is used as is; a host
 * name (a StatefulSet pod's name, whose address changes when the pod moves) is looked up at
 * every use, so a moved pod is found again. A name that does not resolve gives no endpoints.
 */
export async function endpointsOf(r: RemoteServerConfig, resolve: Resolve): Promise<Endpoint[]> {
  if (isIP(r.address) !== 0) return [{ address: r.address, port: r.port }];
  try {
    return (await resolve(r.address)).map((address) => ({ address, port: r.port }));
  } catch {
    return [];
  }
}

/** `address:port` as configured, for logs. */
export function remoteText(r: RemoteServerConfig): string {
  return r.address.includes(':') ? `[${r.address}]:${r.port}` : `${r.address}:${r.port}`;
}
