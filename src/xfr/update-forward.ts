import type { RemoteServerConfig } from '../config/types.js';
import { Opcode } from '../wire/constants.js';
import { endpointText, tcpExchange, udpExchange } from './client.js';
import { XfrError } from './errors.js';
import { endpointsOf, type Resolve } from './remote.js';

/**
 * Update forwarding (RFC 2136 §6): an UPDATE that reaches a secondary goes to the zone's primary
 * byte for byte, so its TSIG still verifies there (the MAC covers the original ID, which the
 * TSIG record carries), and the primary's answer comes back byte for byte, signed by the
 * primary. The same transport the client used is used (UDP, TCP when the answer is truncated).
 */

export interface ForwardOptions {
  /** Per primary address. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export const forwardDefaults = { timeoutMs: 3000 } as const;

export interface Forwarded {
  /** The primary's answer as received (same ID as the request). */
  answer: Buffer;
  /** Which primary answered (`address:port`). */
  primary: string;
}

/**
 * Tries the primaries in order (each of their addresses) until one answers; rejects with the
 * last XfrError when none does.
 */
export async function forwardUpdate(
  msg: Buffer, tcp: boolean, primaries: readonly RemoteServerConfig[], resolve: Resolve, opts: ForwardOptions,
): Promise<Forwarded> {
  let last: Error = new XfrError('no primary address', 'HZ_ERR_XFR_NETWORK');
  for (const p of primaries) {
    for (const ep of await endpointsOf(p, resolve)) {
      try {
        let answer = tcp ? await tcpExchange(ep, msg, opts.timeoutMs, opts.signal) : await udpExchange(ep, msg, opts.timeoutMs, opts.signal);
        if (!tcp && (answer[2]! & 0x02) !== 0) answer = await tcpExchange(ep, msg, opts.timeoutMs, opts.signal);
        if (((answer[2]! >> 3) & 0xf) !== Opcode.Update) throw new XfrError('the primary answered with another opcode');
        return { answer, primary: endpointText(ep) };
      } catch (err) {
        last = err as Error;
        if (opts.signal?.aborted) throw last;
      }
    }
  }
  throw last;
}
