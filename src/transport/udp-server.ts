import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { QueryContext, TransportKind, type QueryHandler, type ReplySink } from '../pipeline/context.js';
import { hostPort, isIPv6Literal, unmapIPv4 } from './address.js';
import { listenError } from './errors.js';
import { silentLogger, ThrottledWarn, type TransportLogger } from './logger.js';
import { HzError } from '../errors/index.js';

export interface UdpServerOptions {
  /** IPv4 or IPv6 literal to bind (`0.0.0.0`, `::`, `127.0.0.1`...). */
  address: string;
  /** 0 binds an ephemeral port; start() reports the real one. */
  port: number;
  /** For `::`: accept IPv6 only (needed when `0.0.0.0` is bound on the same port). */
  ipv6Only?: boolean;
  /** SO_RCVBUF / SO_SNDBUF to ask for, in bytes; 0 keeps the kernel default. */
  recvBufferSize?: number;
  sendBufferSize?: number;
  logger?: TransportLogger;
}

/** Defaults for the UDP listener, in one place. */
export const udpDefaults = {
  recvBufferSize: 4 * 1024 * 1024,
  sendBufferSize: 4 * 1024 * 1024,
  /** Smallest size tried when the kernel refuses the requested one. */
  minBufferSize: 64 * 1024,
} as const;

/** Plain integer counters, read by metrics at scrape time. */
export interface UdpCounters {
  /** Datagrams received. */
  received: number;
  /** Responses handed to the kernel. */
  sent: number;
  /** Queries that got no answer (pipeline drop, shutdown, source port 0). */
  dropped: number;
  /** Socket errors (send failures, ICMP-reported errors...). */
  errors: number;
  /** Answers that arrived after the socket was closed. */
  late: number;
}

const State = { Idle: 0, Listening: 1, Closing: 2, Closed: 3 } as const;
type State = (typeof State)[keyof typeof State];

/**
 * A DNS-over-UDP listener on one address/port. One bound `message` handler and one scratch
 * QueryContext for every datagram; the server itself is the ReplySink.
 */
export class UdpServer implements ReplySink {
  readonly counters: UdpCounters = { received: 0, sent: 0, dropped: 0, errors: 0, late: 0 };
  /** Kernel buffer sizes in effect after start() (as the kernel reports them). */
  recvBufferSize = 0;
  sendBufferSize = 0;
  readonly #handler: QueryHandler;
  readonly #opts: UdpServerOptions;
  readonly #log: TransportLogger;
  readonly #warn: ThrottledWarn;
  readonly #ctx = new QueryContext();
  readonly #v6: boolean;
  #socket: Socket | null = null;
  #state: State = State.Idle;
  #inflight = 0;
  #drained: (() => void) | null = null;
  #closing: Promise<void> | null = null;

  constructor(handler: QueryHandler, opts: UdpServerOptions) {
    this.#handler = handler;
    this.#opts = opts;
    this.#log = opts.logger ?? silentLogger;
    this.#warn = new ThrottledWarn(this.#log);
    this.#v6 = isIPv6Literal(opts.address);
  }

  /** Queries handed to the pipeline and not yet answered or dropped. */
  get inflight(): number {
    return this.#inflight;
  }

  /** Binds the socket. Rejects with a ListenError (EADDRINUSE, EACCES...) naming the address. */
  start(): Promise<{ address: string; port: number }> {
    if (this.#state !== State.Idle) return Promise.reject(new HzError('HZ_ERR_INTERNAL', 'udp: start() called twice'));
    const { address, port } = this.#opts;
    const socket = createSocket({ type: this.#v6 ? 'udp6' : 'udp4', ipv6Only: this.#opts.ipv6Only === true, lookup: literalLookup });
    this.#socket = socket;
    this.#state = State.Listening;
    return new Promise((resolve, reject) => {
      const onBindError = (err: Error): void => {
        this.#state = State.Closed;
        this.#socket = null;
        try {
          socket.close();
        } catch {
          // already closed by the failed bind
        }
        reject(listenError(err, 'udp', address, port));
      };
      socket.once('error', onBindError);
      socket.bind({ address, port }, () => {
        socket.off('error', onBindError);
        socket.on('error', this.#onError);
        // Set here rather than in createSocket(): Node applies those options inside the bind
        // callback and throws uncatchably when the kernel refuses; here we can fall back.
        this.recvBufferSize = this.#applyBuffer(socket, 'recv', this.#opts.recvBufferSize ?? udpDefaults.recvBufferSize);
        this.sendBufferSize = this.#applyBuffer(socket, 'send', this.#opts.sendBufferSize ?? udpDefaults.sendBufferSize);
        socket.on('message', this.#onMessage);
        const bound = socket.address();
        this.#log.info({ address: bound.address, port: bound.port, recvBuffer: this.recvBufferSize }, 'udp: listening');
        resolve({ address: bound.address, port: bound.port });
      });
    });
  }

  readonly #onMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
    this.counters.received++;
    // Port 0 cannot be answered (and Node's send() would throw); closing: take no new work.
    if (this.#state !== State.Listening || rinfo.port === 0) {
      this.counters.dropped++;
      return;
    }
    let address = rinfo.address;
    let family: 4 | 6 = 4;
    if (rinfo.family === 'IPv6') {
      const plain = unmapIPv4(address);
      if (plain === address) family = 6;
      else address = plain;
    }
    this.#inflight++;
    const ctx = this.#ctx;
    ctx.reset(msg, address, rinfo.port, family, TransportKind.Udp, this, null, performance.now());
    try {
      this.#handler.handle(ctx);
    } catch (err) {
      this.counters.errors++;
      this.#settle();
      this.#warn.warn({ err }, 'udp: query handler threw');
    }
  };

  /** ReplySink: sends the answer to the address/port the query came from. */
  reply(ctx: QueryContext, response: Buffer): void {
    this.#settle();
    const socket = this.#socket;
    if (this.#state === State.Closed || socket === null) {
      this.counters.late++;
      return;
    }
    // A dual-stack IPv6 socket needs the mapped form back for IPv4 clients.
    const to = this.#v6 && ctx.family === 4 ? '::ffff:' + ctx.address : ctx.address;
    try {
      socket.send(response, ctx.port, to);
      this.counters.sent++;
    } catch (err) {
      this.counters.errors++;
      this.#warn.warn({ err, client: ctx.address }, 'udp: send failed');
    }
  }

  /** ReplySink: the query will not be answered. */
  dropped(_ctx: QueryContext): void {
    this.counters.dropped++;
    this.#settle();
  }

  /**
   * Stops taking queries, waits up to `graceMs` for answers still being worked on, then closes
   * the socket. Safe to call more than once.
   */
  close(opts: { graceMs?: number } = {}): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    if (this.#state === State.Idle || this.#socket === null) {
      this.#state = State.Closed;
      this.#closing = Promise.resolve();
      return this.#closing;
    }
    this.#state = State.Closing;
    this.#closing = this.#finish(opts.graceMs ?? 0);
    return this.#closing;
  }

  async #finish(graceMs: number): Promise<void> {
    if (this.#inflight > 0 && graceMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.#drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.#drained = null;
    this.#state = State.Closed;
    const socket = this.#socket!;
    this.#socket = null;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    this.#log.info({ address: this.#opts.address }, 'udp: closed');
  }

  #settle(): void {
    if (this.#inflight > 0) this.#inflight--;
    if (this.#inflight === 0 && this.#drained !== null) this.#drained();
  }

  readonly #onError = (err: Error): void => {
    this.counters.errors++;
    this.#warn.warn({ err, listener: hostPort(this.#opts.address, this.#opts.port) }, 'udp: socket error');
  };

  /** Asks for `want` bytes, halving on refusal; warns when the kernel gives less. */
  #applyBuffer(socket: Socket, kind: 'recv' | 'send', want: number): number {
    const get = (): number => (kind === 'recv' ? socket.getRecvBufferSize() : socket.getSendBufferSize());
    if (want <= 0) return get();
    for (let size = want; size >= udpDefaults.minBufferSize; size = Math.floor(size / 2)) {
      try {
        if (kind === 'recv') socket.setRecvBufferSize(size);
        else socket.setSendBufferSize(size);
        break;
      } catch {
        // refused: try half
      }
    }
    const got = get();
    // Linux reports twice the size asked for (bookkeeping overhead), so `got < want` means capped.
    if (got < want) {
      const sysctl = kind === 'recv' ? 'net.core.rmem_max' : 'net.core.wmem_max';
      this.#log.warn({ requested: want, effective: got }, `udp: kernel limited the ${kind} buffer (raise ${sysctl})`);
    }
    return got;
  }
}

/**
 * The socket's address lookup. We only ever send to the literal address a datagram came from,
 * so there is nothing to resolve; answering at once also saves the tick `dns.lookup` defers
 * every send by, even for a literal.
 */
function literalLookup(address: string, _options: unknown, callback: (err: Error | null, address: string, family: number) => void): void {
  callback(null, address, address.includes(':') ? 6 : 4);
}
