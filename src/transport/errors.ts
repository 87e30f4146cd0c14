import { hostPort } from './address.js';
import { HzError } from '../errors/index.js';

/** What the listeners report when a socket cannot be opened at startup (always fatal). */
export class ListenError extends HzError {
  override readonly name = 'ListenError';
  override readonly code = 'HZ_ERR_LISTEN';
  constructor(
    message: string,
    /** The system error code: EADDRINUSE, EACCES, EADDRNOTAVAIL... */
    readonly errno: string,
    readonly protocol: 'udp' | 'tcp',
    readonly address: string,
    readonly port: number,
    options?: { cause?: unknown },
  ) {
    super('HZ_ERR_LISTEN', message, options);
  }
}

const hints: Record<string, string> = {
  EADDRINUSE: 'address already in use (another server is listening there)',
  EACCES: 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)',
  EADDRNOTAVAIL: 'address not available on this host',
};

/** Wraps a bind/listen failure in a ListenError whose message names the protocol and address. */
export function listenError(err: unknown, protocol: 'udp' | 'tcp', address: string, port: number): ListenError {
  const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'EUNKNOWN';
  const why = hints[code] ?? (err instanceof Error ? err.message : String(err));
  return new ListenError(`${protocol}: cannot listen on ${hostPort(address, port)}: ${why} [${code}]`, code, protocol, address, port, { cause: err });
}
