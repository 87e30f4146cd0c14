import type { Socket } from 'node:net';
import type { QueryConnection } from '../pipeline/context.js';
import { HEADER_SIZE } from '../wire/constants.js';

/** Limits a TCP connection enforces (see tcpDefaults in tcp-server.ts). */
export interface TcpLimits {
  readonly idleTimeoutMs: number;
  readonly maxInflightPerConnection: number;
  readonly maxPendingOutput: number;
}

/** Plain integer counters for the TCP listener, read by metrics at scrape time. */
export interface TcpCounters {
  /** Connections accepted, rejected at the connection cap, and open now. */
  accepted: number;
  rejected: number;
  active: number;
  /** Messages received / answers written / queries that got no answer. */
  received: number;
  sent: number;
  dropped: number;
  /** Socket and handler errors. */
  errors: number;
  /** Answers that arrived after their connection had closed. */
  late: number;
  /** Connections closed for bad framing (length < 12). */
  malformed: number;
  /** Connections closed after the idle timeout. */
  idleClosed: number;
  /** Connections cut because the client did not read its answers. */
  overflows: number;
  /** Times reading was paused at the in-flight cap. */
  pauses: number;
}

/** What a connection needs from the server that accepted it. */
export interface ConnectionHost {
  readonly limits: TcpLimits;
  readonly counters: TcpCounters;
  /** Hands one complete message to the pipeline. */
  dispatch(conn: TcpConnection, msg: Buffer): void;
  /** The socket has closed. */
  release(conn: TcpConnection): void;
  /** The client stopped reading its answers and was cut off. */
  overflowed(conn: TcpConnection): void;
}

/**
 * One DNS-over-TCP connection (RFC 7766): 2-byte length framing across arbitrary read
 * boundaries, several queries in flight at once, reading paused at the in-flight cap, answers
 * written as length+message in one write, idle timeout, FIN once the work is done.
 */
export class TcpConnection implements QueryConnection {
  readonly socket: Socket;
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
  /** Queries handed to the pipeline and not yet answered or dropped. */
  inflight = 0;
  /** The socket has closed: answers for it are discarded. */
  closed = false;
  readonly #host: ConnectionHost;
  readonly #limits: TcpLimits;
  /** No more reading; the socket ends once in-flight answers are written. */
  #closing = false;
  /** Reading paused at the in-flight cap. */
  #paused = false;
  #resumeScheduled = false;
  /** The client sent FIN (half-close): answer what is in flight, then end. */
  #peerEnded = false;
  /** Bytes read but not parsed yet because reading was paused. */
  #backlog: Buffer | null = null;
  /** First byte of a length prefix split across reads, or -1. */
  #lenHi = -1;
  /** A message being assembled across reads, and how much of it is filled. */
  #asm: Buffer | null = null;
  #asmFill = 0;

  constructor(socket: Socket, host: ConnectionHost, address: string, port: number, family: 4 | 6) {
    this.socket = socket;
    this.address = address;
    this.port = port;
    this.family = family;
    this.#host = host;
    this.#limits = host.limits;
    socket.setNoDelay(true);
    socket.setTimeout(this.#limits.idleTimeoutMs);
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('timeout', this.#onTimeout);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
  }

  /** Writes one answer (length prefix and message in a single write). */
  send(response: Buffer): void {
    const socket = this.socket;
    if (this.closed || socket.destroyed || socket.writableEnded) {
      this.#host.counters.late++;
      return;
    }
    const n = response.length;
    if (n > 0xffff) {
      this.#host.counters.errors++;
      return;
    }
    const out = Buffer.allocUnsafe(n + 2);
    out[0] = n >>> 8;
    out[1] = n & 0xff;
    response.copy(out, 2);
    socket.write(out);
    this.#host.counters.sent++;
    if (socket.writableLength > this.#limits.maxPendingOutput) {
      this.#host.overflowed(this);
      this.destroy();
    }
  }

  /** Bytes written and not yet sent (long answers pace themselves on it). */
  get pending(): number {
    return this.socket.writableLength;
  }

  /** Resolves once the unsent bytes have gone out, or the connection has closed. */
  drained(): Promise<void> {
    const socket = this.socket;
    if (this.closed || socket.writableLength === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.once('drain', done);
      socket.once('close', done);
    });
  }

  /** One query of this connection is finished (answered or dropped). */
  settle(): void {
    if (this.inflight > 0) this.inflight--;
    if (this.#closing) {
      if (this.inflight === 0) this.#end();
    } else if (this.#paused && !this.#resumeScheduled && this.inflight < this.#limits.maxInflightPerConnection) {
      // Deferred: we may be inside the pipeline's reply, which still uses the scratch context.
      this.#resumeScheduled = true;
      setImmediate(this.#resume);
    }
  }

  /** Pauses reading until in-flight answers drain below the cap. */
  pauseReading(): void {
    if (this.#paused || this.#closing) return;
    this.#paused = true;
    this.#host.counters.pauses++;
    this.socket.pause();
  }

  /** Stops reading; ends the connection (FIN) as soon as nothing is in flight. */
  shutdown(): void {
    if (this.#closing || this.closed) return;
    this.#closing = true;
    this.#backlog = null;
    this.#asm = null;
    this.#lenHi = -1;
    this.socket.pause();
    if (this.inflight === 0) this.#end();
  }

  /** Closes at once, discarding unwritten answers. */
  destroy(): void {
    if (this.closed) return;
    this.#closing = true;
    this.socket.destroy();
  }

  #end(): void {
    if (!this.closed && !this.socket.destroyed) this.socket.destroySoon();
  }

  readonly #onData = (chunk: Buffer): void => {
    if (this.#closing) return;
    if (this.#backlog !== null) {
      this.#backlog = Buffer.concat([this.#backlog, chunk]);
      return;
    }
    this.#feed(chunk);
  };

  /** Splits bytes into messages; keeps partial ones across reads without re-copying. */
  #feed(data: Buffer): void {
    const len = data.length;
    let off = 0;
    while (off < len && !this.#closing) {
      const asm = this.#asm;
      if (asm !== null) {
        const take = Math.min(asm.length - this.#asmFill, len - off);
        data.copy(asm, this.#asmFill, off, off + take);
        this.#asmFill += take;
        off += take;
        if (this.#asmFill < asm.length) return;
        this.#asm = null;
        this.#host.dispatch(this, asm);
        continue;
      }
      if (this.#paused) {
        this.#backlog = off === 0 ? data : data.subarray(off);
        return;
      }
      let n: number;
      if (this.#lenHi >= 0) {
        n = (this.#lenHi << 8) | data[off]!;
        this.#lenHi = -1;
        off += 1;
      } else if (off + 1 < len) {
        n = (data[off]! << 8) | data[off + 1]!;
        off += 2;
      } else {
        this.#lenHi = data[off]!;
        return;
      }
      if (n < HEADER_SIZE) {
        // Zero-length or shorter than a header: the stream cannot be trusted any more.
        this.#host.counters.malformed++;
        this.shutdown();
        return;
      }
      if (len - off >= n) {
        const msg = data.subarray(off, off + n);
        off += n;
        this.#host.dispatch(this, msg);
      } else {
        const buf = Buffer.allocUnsafe(n);
        data.copy(buf, 0, off, len);
        this.#asm = buf;
        this.#asmFill = len - off;
        return;
      }
    }
  }

  readonly #resume = (): void => {
    this.#resumeScheduled = false;
    if (this.#closing || this.inflight >= this.#limits.maxInflightPerConnection) return;
    this.#paused = false;
    const backlog = this.#backlog;
    if (backlog !== null) {
      this.#backlog = null;
      this.#feed(backlog);
    }
    if (this.#closing || this.#paused) return;
    if (this.#peerEnded) this.shutdown();
    else this.socket.resume();
  };

  readonly #onEnd = (): void => {
    this.#peerEnded = true;
    if (!this.#paused) this.shutdown();
  };

  readonly #onTimeout = (): void => {
    if (this.closed) return;
    if (this.inflight === 0) {
      if (this.#closing) {
        // Still not finished a whole idle period after we ended: the client is not reading.
        this.destroy();
        return;
      }
      this.#host.counters.idleClosed++;
      this.shutdown();
    }
    // Node's socket timer is one-shot until the next activity: arm it again.
    this.socket.setTimeout(this.#limits.idleTimeoutMs);
  };

  readonly #onError = (): void => {
    // ECONNRESET, EPIPE...: the 'close' event follows; nothing to answer any more.
    this.#host.counters.errors++;
  };

  readonly #onClose = (): void => {
    this.closed = true;
    this.#closing = true;
    this.#backlog = null;
    this.#asm = null;
    this.#host.release(this);
  };
}
