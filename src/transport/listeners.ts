import type { QueryHandler } from '../pipeline/context.js';
import { isIPv6Literal } from './address.js';
import { ListenError } from './errors.js';
import { silentLogger, type TransportLogger } from './logger.js';
import { TcpServer, type TcpServerOptions } from './tcp-server.js';
import { UdpServer, type UdpServerOptions } from './udp-server.js';
import { HzError } from '../errors/index.js';

export type Protocol = 'udp' | 'tcp';

/** One configured listen address. */
export interface ListenSpec {
  address: string;
  /** 0: an ephemeral port, the same number for UDP and TCP. */
  port: number;
  protocols: Protocol[];
}

/** Settings shared by every listener (address and port come from the specs). */
export interface ListenerOptions {
  udp?: Omit<UdpServerOptions, 'address' | 'port' | 'logger'>;
  tcp?: Omit<TcpServerOptions, 'address' | 'port' | 'logger'>;
  logger?: TransportLogger;
  /** Attempts to find a port free for both UDP and TCP when a spec asks for port 0. */
  portAttempts?: number;
}

export interface BoundListener {
  protocol: Protocol;
  address: string;
  port: number;
}

/** Everything that was started; the servers are exposed for their counters. */
export interface Listeners {
  readonly udp: readonly UdpServer[];
  readonly tcp: readonly TcpServer[];
  /** What is actually listening (real port numbers). */
  bound(): BoundListener[];
  /** Closes every listener, letting in-flight answers out for up to graceMs. */
  close(opts?: { graceMs?: number }): Promise<void>;
}

const defaultPortAttempts = 5;

/**
 * Starts a UDP and/or TCP listener for each spec. Any failure is fatal: what was started is
 * closed and the promise rejects with the ListenError naming the address. `::` listens
 * dual-stack unless an IPv4 address shares its port (then IPv6 only), or `ipv6Only` is given.
 */
export async function startListeners(specs: ListenSpec[], handler: QueryHandler, opts: ListenerOptions = {}): Promise<Listeners> {
  const log = opts.logger ?? silentLogger;
  const udp: UdpServer[] = [];
  const tcp: TcpServer[] = [];
  const bound: BoundListener[] = [];
  const newUdp = (address: string, port: number): UdpServer =>
    new UdpServer(handler, { ...opts.udp, ipv6Only: opts.udp?.ipv6Only ?? needsIpv6Only(address, port, specs), address, port, logger: log });
  const newTcp = (address: string, port: number): TcpServer =>
    new TcpServer(handler, { ...opts.tcp, ipv6Only: opts.tcp?.ipv6Only ?? needsIpv6Only(address, port, specs), address, port, logger: log });
  const closeAll = (graceMs: number): Promise<void> =>
    Promise.all([...udp.map((s) => s.close({ graceMs })), ...tcp.map((s) => s.close({ graceMs }))]).then(() => undefined);

  try {
    for (const spec of specs) {
      const wantUdp = spec.protocols.includes('udp');
      const wantTcp = spec.protocols.includes('tcp');
      if (wantUdp && wantTcp && spec.port === 0) {
        const pair = await startPair(spec.address, newUdp, newTcp, opts.portAttempts ?? defaultPortAttempts);
        udp.push(pair.udp);
        tcp.push(pair.tcp);
        bound.push({ protocol: 'udp', address: pair.address, port: pair.port }, { protocol: 'tcp', address: pair.address, port: pair.port });
        continue;
      }
      if (wantUdp) {
        const s = newUdp(spec.address, spec.port);
        const b = await s.start();
        udp.push(s);
        bound.push({ protocol: 'udp', ...b });
      }
      if (wantTcp) {
        const s = newTcp(spec.address, spec.port);
        const b = await s.start();
        tcp.push(s);
        bound.push({ protocol: 'tcp', ...b });
      }
    }
  } catch (err) {
    await closeAll(0);
    throw err;
  }
  return {
    udp,
    tcp,
    bound: () => bound.map((b) => ({ ...b })),
    close: (o = {}) => closeAll(o.graceMs ?? 0),
  };
}

/**
 * True for `::` when an IPv4 address is also configured on the same port: a dual-stack `::`
 * socket would take the IPv4 side too and the second bind would fail with EADDRINUSE.
 */
export function needsIpv6Only(address: string, port: number, specs: readonly ListenSpec[]): boolean {
  return address === '::' && port !== 0 && specs.some((s) => s.port === port && !isIPv6Literal(s.address));
}

/** What startPair needs of a server. */
export interface Startable {
  start(): Promise<{ address: string; port: number }>;
  close(opts?: { graceMs?: number }): Promise<void>;
}

/**
 * Binds UDP on an ephemeral port, then TCP on the same number; when TCP finds that number
 * taken (EADDRINUSE), releases the UDP socket and tries a new port, up to `attempts` times.
 */
export async function startPair<U extends Startable, T extends Startable>(
  address: string,
  newUdp: (address: string, port: number) => U,
  newTcp: (address: string, port: number) => T,
  attempts: number,
): Promise<{ udp: U; tcp: T; address: string; port: number }> {
  let last: unknown = new HzError('HZ_ERR_INTERNAL', `listeners: no attempt to bind ${address}`);
  for (let i = 0; i < attempts; i++) {
    const udp = newUdp(address, 0);
    const b = await udp.start();
    const tcp = newTcp(address, b.port);
    try {
      await tcp.start();
      return { udp, tcp, address: b.address, port: b.port };
    } catch (err) {
      await Promise.all([udp.close(), tcp.close()]);
      if (!(err instanceof ListenError) || err.errno !== 'EADDRINUSE') throw err;
      last = err;
    }
  }
  throw last;
}
