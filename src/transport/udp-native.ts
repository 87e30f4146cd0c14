import ipaddr from 'ipaddr.js';
import { HzError } from '../errors/index.js';
import { QueryContext, TransportKind, type QueryHandler, type ReplySink } from '../pipeline/context.js';
import { hostPort, isIPv6Literal } from './address.js';
import { listenError } from './errors.js';
import { silentLogger, ThrottledWarn, type TransportLogger } from './logger.js';
import { NativeStat, RX_META, TX_META, type NativeHandle, type UdpBatchBinding } from './udp-backend.js';
import { udpDefaults, type UdpCounters, type UdpServerOptions } from './udp-server.js';

export interface NativeUdpServerOptions extends UdpServerOptions {
  binding: UdpBatchBinding;
  /** Datagrams read per recvmmsg (and replies per sendmmsg). */
  batch?: number;
  /** SO_REUSEPORT: one socket per worker on the same port, the kernel spreads clients. */
  reusePort?: boolean;
  /** Bytes per receive slot; a longer datagram is cut there (MSG_TRUNC), as counted. */
  rxSlot?: number;
  /** Bytes per send slot; a longer reply is sent on its own. */
  txSlot?: number;
}

/** Defaults of the native listener. */
export const nativeDefaults = {
  batch: 64,
  // Every datagram fits (65,507 bytes is the IPv4 UDP maximum): nothing is cut unless a smaller
  // slot is asked for. Only the pages a datagram touches become resident.
  rxSlot: 65_536,
  txSlot: 4096,
} as const;

/** Counters of the native backend besides the common ones (read at scrape time). */
export interface NativeUdpStats {
  batches: number;
  truncated: number;
  queued: number;
  queueDropped: number;
  queueLength: number;
}

const State = { Idle: 0, Listening: 1, Closing: 2, Closed: 3 } as const;
type State = (typeof State)[keyof typeof State];

/** Size of the direct-mapped cache of formatted IPv4 client addresses. */
const V4_CACHE = 256;

/**
 * A DNS-over-UDP listener on the udp-batch addon: the addon reads up to `batch` datagrams with
 * one recvmmsg into preallocated slots and calls `#onBatch` once; replies given during the batch
 * are copied into send slots and go out with one sendmmsg at its end. Later replies (forwarded
 * answers) go out one by one. On a wildcard address the reply leaves from the address the query
 * was sent to (the addon reads it with IP_PKTINFO / IPV6_RECVPKTINFO; its index in the addon's
 * table of local addresses travels in `ctx.conn`, so detached contexts keep it).
 */
export class NativeUdpServer implements ReplySink {
  readonly backend = 'native' as const;
  readonly counters: UdpCounters = { received: 0, sent: 0, dropped: 0, errors: 0, late: 0 };
  recvBufferSize = 0;
  sendBufferSize = 0;
  readonly #b: UdpBatchBinding;
  readonly #handler: QueryHandler;
  readonly #opts: NativeUdpServerOptions;
  readonly #log: TransportLogger;
  readonly #warn: ThrottledWarn;
  readonly #ctx = new QueryContext();
  readonly #batch: number;
  readonly #rxSlot: number;
  readonly #txSlot: number;
  readonly #rx: Buffer;
  readonly #rxMeta: Buffer;
  readonly #rxU32: Uint32Array;
  readonly #rxU16: Uint16Array;
  readonly #tx: Buffer;
  readonly #txU32: Uint32Array;
  readonly #txMeta: Buffer;
  readonly #dest: Buffer;
  readonly #v4Keys = new Float64Array(V4_CACHE).fill(-1);
  readonly #v4Names: string[] = new Array<string>(V4_CACHE).fill('');
  #h: NativeHandle | null = null;
  #state: State = State.Idle;
  #inflight = 0;
  /** Receive slot being handled (-1 outside a batch). */
  #slot = -1;
  /** Replies written into send slots during this batch. */
  #txCount = 0;
  #drained: (() => void) | null = null;
  #closing: Promise<void> | null = null;

  constructor(handler: QueryHandler, opts: NativeUdpServerOptions) {
    this.#b = opts.binding;
    this.#handler = handler;
    this.#opts = opts;
    this.#log = opts.logger ?? silentLogger;
    this.#warn = new ThrottledWarn(this.#log);
    this.#batch = opts.batch ?? nativeDefaults.batch;
    this.#rxSlot = opts.rxSlot ?? nativeDefaults.rxSlot;
    this.#txSlot = opts.txSlot ?? nativeDefaults.txSlot;
    // Not zero-filled: pages become resident only where datagrams land.
    this.#rx = Buffer.allocUnsafeSlow(this.#batch * this.#rxSlot);
    this.#rxMeta = Buffer.alloc(this.#batch * RX_META);
    this.#rxU32 = new Uint32Array(this.#rxMeta.buffer, this.#rxMeta.byteOffset, this.#rxMeta.length >> 2);
    this.#rxU16 = new Uint16Array(this.#rxMeta.buffer, this.#rxMeta.byteOffset, this.#rxMeta.length >> 1);
    this.#tx = Buffer.allocUnsafeSlow(this.#batch * this.#txSlot);
    this.#txMeta = Buffer.alloc(this.#batch * TX_META);
    this.#txU32 = new Uint32Array(this.#txMeta.buffer, this.#txMeta.byteOffset, this.#txMeta.length >> 2);
    this.#dest = Buffer.alloc(RX_META);
  }

  get inflight(): number {
    return this.#inflight;
  }

  /** The addon's own counters (batches, cut datagrams, the send queue). */
  nativeStats(): NativeUdpStats {
    if (this.#h === null || this.#state === State.Closed) return { batches: 0, truncated: 0, queued: 0, queueDropped: 0, queueLength: 0 };
    const s = this.#b.stats(this.#h);
    return {
      batches: s[NativeStat.Batches]!, truncated: s[NativeStat.Truncated]!, queued: s[NativeStat.Queued]!,
      queueDropped: s[NativeStat.QueueDropped]!, queueLength: s[NativeStat.QueueLength]!,
    };
  }

  /** Binds the socket. Rejects with a ListenError (EADDRINUSE, EACCES...) naming the address. */
  start(): Promise<{ address: string; port: number }> {
    if (this.#state !== State.Idle) return Promise.reject(new HzError('HZ_ERR_INTERNAL', 'udp: start() called twice'));
    const { address, port } = this.#opts;
    try {
      this.#h = this.#b.open(
        isIPv6Literal(address) ? 6 : 4, address, port, this.#opts.ipv6Only === true, this.#opts.reusePort === true,
        this.#rx, this.#rxMeta, this.#tx, this.#txMeta, this.#dest, this.#batch, this.#rxSlot, this.#txSlot, this.#onBatch,
      );
    } catch (err) {
      this.#state = State.Closed;
      return Promise.reject(listenError(err, 'udp', address, port));
    }
    this.#state = State.Listening;
    this.recvBufferSize = this.#applyBuffer(0, this.#opts.recvBufferSize ?? udpDefaults.recvBufferSize);
    this.sendBufferSize = this.#applyBuffer(1, this.#opts.sendBufferSize ?? udpDefaults.sendBufferSize);
    const bound = this.#b.local(this.#h);
    this.#b.start(this.#h);
    this.#log.info({ address, port: bound[0], recvBuffer: this.recvBufferSize, backend: 'native', batch: this.#batch }, 'udp: listening');
    return Promise.resolve({ address, port: bound[0] });
  }

  /** One call per recvmmsg: `n` datagrams wait in the receive slots. */
  readonly #onBatch = (n: number): void => {
    const u32 = this.#rxU32;
    const meta = this.#rxMeta;
    const ctx = this.#ctx;
    const now = performance.now();
    this.#txCount = 0;
    for (let i = 0; i < n; i++) {
      this.counters.received++;
      const m = i * RX_META;
      const port = this.#rxU16[(m >> 1) + 4]!;
      // Port 0 cannot be answered; closing: take no new work.
      if (this.#state !== State.Listening || port === 0) {
        this.counters.dropped++;
        continue;
      }
      const family = meta[m + 10] === 6 ? 6 : 4;
      const start = i * this.#rxSlot;
      // A cut datagram (MSG_TRUNC) goes on with the bytes that fit, as node:dgram hands on what
      // it read; the request path answers FORMERR or drops what does not parse.
      const msg = this.#rx.subarray(start, start + u32[m >> 2]!);
      const address = family === 4 ? this.#v4Name(u32[(m >> 2) + 3]!, m) : formatIPv6(meta, m + 12);
      this.#slot = i;
      this.#inflight++;
      ctx.reset(msg, address, port, family, TransportKind.Udp, this, meta[m + 11]!, now);
      ctx.msgBorrowed = true;
      try {
        this.#handler.handle(ctx);
      } catch (err) {
        this.counters.errors++;
        this.#settle();
        this.#warn.warn({ err }, 'udp: query handler threw');
      }
    }
    this.#slot = -1;
    const count = this.#txCount;
    this.#txCount = 0;
    if (count > 0 && this.#h !== null && this.#state !== State.Closed) this.#b.flush(this.#h, count);
  };

  /** ReplySink: into this batch's send slots, or on its own when later or too large. */
  reply(ctx: QueryContext, response: Buffer): void {
    this.#settle();
    const h = this.#h;
    if (this.#state === State.Closed || h === null) {
      this.counters.late++;
      return;
    }
    const len = response.length;
    if (ctx === this.#ctx && this.#slot >= 0 && len <= this.#txSlot && this.#txCount < this.#batch) {
      const j = this.#txCount++;
      response.copy(this.#tx, j * this.#txSlot, 0, len);
      this.#txU32[j * 4] = len;
      this.#txU32[j * 4 + 1] = this.#slot;
      this.counters.sent++;
      return;
    }
    if (!this.#setDest(ctx)) {
      this.counters.errors++;
      return;
    }
    if (this.#b.send(h, response, len) < 0) {
      this.counters.errors++;
      this.#warn.warn({ client: ctx.address }, 'udp: reply dropped (send queue full or peer unreachable)');
      return;
    }
    this.counters.sent++;
  }

  /** ReplySink: the query will not be answered. */
  dropped(_ctx: QueryContext): void {
    this.counters.dropped++;
    this.#settle();
  }

  /** Stops taking queries, waits up to `graceMs` for answers being worked on, then closes. */
  close(opts: { graceMs?: number } = {}): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    if (this.#state === State.Idle || this.#h === null) {
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
    const h = this.#h!;
    // Closed at once (also from inside a batch: its remaining queries are dropped, its replies late).
    this.#b.close(h);
    this.#log.info({ address: this.#opts.address }, 'udp: closed');
  }

  #settle(): void {
    if (this.#inflight > 0) this.#inflight--;
    if (this.#inflight === 0 && this.#drained !== null) this.#drained();
  }

  /** Fills the `dest` record the addon's send() reads: the client and the local address index. */
  #setDest(ctx: QueryContext): boolean {
    const d = this.#dest;
    let bytes: number[];
    try {
      bytes = ipaddr.parse(ctx.address).toByteArray();
    } catch {
      return false;
    }
    if (bytes.length === 16 && ctx.family === 4) return false;
    d.writeUInt16LE(ctx.port, 8);
    d[10] = ctx.family;
    d[11] = typeof ctx.conn === 'number' ? ctx.conn : 0;
    d.fill(0, 12, 28);
    for (let i = 0; i < bytes.length; i++) d[12 + i] = bytes[i]!;
    return true;
  }

  /** The dotted form of an IPv4 client, from a small cache (clients repeat). */
  #v4Name(key: number, m: number): string {
    const slot = ((key * 2654435761) >>> 24) & (V4_CACHE - 1);
    if (this.#v4Keys[slot] === key) return this.#v4Names[slot]!;
    const b = this.#rxMeta;
    const name = `${b[m + 12]}.${b[m + 13]}.${b[m + 14]}.${b[m + 15]}`;
    this.#v4Keys[slot] = key;
    this.#v4Names[slot] = name;
    return name;
  }

  /** Asks for `want` bytes; warns when the kernel gives less (Linux reports twice what it grants). */
  #applyBuffer(kind: 0 | 1, want: number): number {
    const h = this.#h!;
    if (want <= 0) return this.#b.bufferSize(h, kind, 0);
    let got = 0;
    try {
      got = this.#b.bufferSize(h, kind, want);
    } catch {
      got = this.#b.bufferSize(h, kind, 0);
    }
    if (got < want) {
      const sysctl = kind === 0 ? 'net.core.rmem_max' : 'net.core.wmem_max';
      this.#log.warn({ requested: want, effective: got }, `udp: kernel limited the ${kind === 0 ? 'recv' : 'send'} buffer (raise ${sysctl})`);
    }
    return got;
  }

  /** For messages: the listener's address. */
  toString(): string {
    return hostPort(this.#opts.address, this.#opts.port);
  }
}

/** RFC 5952 text form of the 16 bytes at `off` (as inet_ntop and node:dgram give it). */
export function formatIPv6(b: Uint8Array, off: number): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((b[off + 2 * i]! << 8) | b[off + 2 * i + 1]!);
  // IPv4-mapped and -compatible forms are written with a dotted tail by inet_ntop.
  if (w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 0 && w[4] === 0 && w[5] === 0xffff) {
    return `::ffff:${b[off + 12]}.${b[off + 13]}.${b[off + 14]}.${b[off + 15]}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestStart = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += i === 0 ? '::' : ':';
      i += bestLen - 1;
      continue;
    }
    out += w[i]!.toString(16);
    if (i < 7) out += ':';
  }
  return out;
}
