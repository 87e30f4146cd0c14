import type { QueryHandler } from '../pipeline/context.js';
import { isIPv6Literal } from './address.js';
import type { CertificateStore } from './certificates.js';
import { DohServer } from './doh-server.js';
import { DotServer } from './dot-server.js';
import type { PrefixTrie } from '../view/prefix-trie.js';
import type { TlsLimits } from './tls-guard.js';
import { ListenError } from './errors.js';
import { silentLogger, type TransportLogger } from './logger.js';
import { TcpServer, type TcpServerOptions } from './tcp-server.js';
import type { UdpBatchBinding } from './udp-backend.js';
import { NativeUdpServer } from './udp-native.js';
import { UdpServer, type UdpServerOptions } from './udp-server.js';
import { HzError } from '../errors/index.js';

/** A UDP listener of either backend (`server.udp.backend`). */
export type UdpListener = UdpServer | NativeUdpServer;

/** `tls`: DNS over TLS; `https`: DNS over HTTPS. */
export type Protocol = 'udp' | 'tcp' | 'tls' | 'https';

/** One configured listen address. */
export interface ListenSpec {
  address: string;
  /** 0: an ephemeral port, the same number for UDP and TCP. */
  port: number;
  protocols: Protocol[];
  /** `https`: the DoH path (default /dns-query). */
  path?: string | null;
}

/** What the encrypted listeners (`tls`, `https`) share: the certificate and their limits. */
export interface EncryptedListenerOptions {
  certificates: CertificateStore;
  limits?: Partial<TlsLimits>;
  /** Close an idle encrypted connection after this long. */
  idleTimeoutMs?: number;
  /** Queries in flight per connection (DoT) / concurrent streams per HTTP/2 connection (DoH). */
  maxInflightPerConnection?: number;
  /** DoH: proxies whose Forwarded / X-Forwarded-For header names the client. */
  trustedProxies?: PrefixTrie<true> | null;
}

/** Settings shared by every listener (address and port come from the specs). */
export interface ListenerOptions {
  udp?: Omit<UdpServerOptions, 'address' | 'port' | 'logger'> & {
    /** The udp-batch addon: UDP listeners use the native backend (null/absent: node:dgram). */
    native?: UdpBatchBinding | null;
    /** Native backend: SO_REUSEPORT, one socket per worker process. */
    reusePort?: boolean;
  };
  tcp?: Omit<TcpServerOptions, 'address' | 'port' | 'logger'>;
  /** Required when a spec lists `tls` or `https`. */
  encrypted?: EncryptedListenerOptions;
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
  readonly udp: readonly UdpListener[];
  readonly tcp: readonly TcpServer[];
  readonly dot: readonly DotServer[];
  readonly doh: readonly DohServer[];
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
  const udp: UdpListener[] = [];
  const tcp: TcpServer[] = [];
  const dot: DotServer[] = [];
  const doh: DohServer[] = [];
  const bound: BoundListener[] = [];
  const encrypted = (what: string): EncryptedListenerOptions => {
    if (opts.encrypted === undefined) throw new HzError('HZ_ERR_INVALID_ARGUMENT', `listeners: ${what} needs a certificate (server.tls)`);
    return opts.encrypted;
  };
  const { native, reusePort, ...udpOpts } = opts.udp ?? {};
  const newUdp = (address: string, port: number): UdpListener => {
    const o = { ...udpOpts, ipv6Only: udpOpts.ipv6Only ?? needsIpv6Only(address, port, specs), address, port, logger: log };
    return native ? new NativeUdpServer(handler, { ...o, binding: native, reusePort: reusePort === true }) : new UdpServer(handler, o);
  };
  const newTcp = (address: string, port: number): TcpServer =>
    new TcpServer(handler, { ...opts.tcp, ipv6Only: opts.tcp?.ipv6Only ?? needsIpv6Only(address, port, specs), address, port, logger: log });
  const closeAll = (graceMs: number): Promise<void> =>
    Promise.all([...udp.map((s) => s.close({ graceMs })), ...tcp.map((s) => s.close({ graceMs })), ...dot.map((s) => s.close({ graceMs })), ...doh.map((s) => s.close({ graceMs }))]).then(() => undefined);

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
      if (spec.protocols.includes('tls')) {
        const e = encrypted('tls');
        // After the handshake a DoT connection is a TCP connection: the TCP protections apply
        // (message deadline, per-client cap, eviction at the limit), with the TLS idle timeout and cap.
        const s = new DotServer(handler, {
          ...opts.tcp,
          ...(e.limits?.maxConnections !== undefined ? { maxConnections: e.limits.maxConnections } : {}),
          address: spec.address, port: spec.port, ipv6Only: needsIpv6Only(spec.address, spec.port, specs), logger: log, certificates: e.certificates,
          ...(e.limits !== undefined ? { tls: e.limits } : {}),
          ...(e.idleTimeoutMs !== undefined ? { idleTimeoutMs: e.idleTimeoutMs } : {}),
          ...(e.maxInflightPerConnection !== undefined ? { maxInflightPerConnection: e.maxInflightPerConnection } : {}),
        });
        dot.push(s);
        const b = await s.start();
        bound.push({ protocol: 'tls', ...b });
      }
      if (spec.protocols.includes('https')) {
        const e = encrypted('https');
        const s = new DohServer(handler, {
          address: spec.address, port: spec.port, ipv6Only: needsIpv6Only(spec.address, spec.port, specs), logger: log, certificates: e.certificates,
          ...(spec.path ? { path: spec.path } : {}),
          ...(e.limits !== undefined ? { tls: e.limits } : {}),
          ...(e.idleTimeoutMs !== undefined ? { idleTimeoutMs: e.idleTimeoutMs } : {}),
          ...(e.maxInflightPerConnection !== undefined ? { maxStreams: e.maxInflightPerConnection } : {}),
          trustedProxies: e.trustedProxies ?? null,
        });
        doh.push(s);
        const b = await s.start();
        bound.push({ protocol: 'https', ...b });
      }
    }
  } catch (err) {
    await closeAll(0);
    throw err;
  }
  return {
    udp,
    tcp,
    dot,
    doh,
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
