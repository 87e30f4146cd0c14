import type { Socket } from 'node:net';
import { HEADER_SIZE } from '../wire/constants.js';

/** Limits a TCP connection enforces (see tcpDefaults in tcp-server.ts). */
export interface TcpLimits {
  /** A connection with nothing in flight and no message for this long is closed (RFC 7766 §6.2.3). */
  readonly idleTimeoutMs: number;
  /** The idle timeout when the listener's slots run short (Unbound's 200 ms minimum). */
  readonly minIdleTimeoutMs: number;
  /** Each whole message must arrive within this of its first byte (Knot's tcp-io-timeout). */
  readonly messageTimeoutMs: number;
  readonly maxInflightPerConnection: number;
  /** Messages taken from one connection before the event loop gets a turn. */
  readonly messagesPerTurn: number;
  readonly maxPendingOutput: number;
}

/** Plain integer counters for the TCP listener, read by metrics at scrape time. */
export interface TcpCounters {
  /** Connections accepted, rejected at the connection cap, and open now. */
  accepted: number;
  rejected: number;
  /** Connections refused because their client already had its share of the slots. */
  clientRejected: number;
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
  /** Connections closed because a message did not arrive whole within the message timeout. */
  slowClosed: number;
  /** Connections closed to make room for a new one at the connection cap. */
  evicted: number;
  /** Connections cut because the client did not read its answers. */
  overflows: number;
  /** Times reading was paused at the in-flight cap. */
  pauses: number;
  /** Times a connection's reading yielded to other work after messagesPerTurn messages. */
  yields: number;
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

/** Why reading is paused (bits): at the in-flight cap, yielding a turn, the client not reading. */
const PAUSE_INFLIGHT = 1;
const PAUSE_TURN = 2;
const PAUSE_OUTPUT = 4;

/**
 * One DNS-over-TCP connection (RFC 7766): 2-byte length framing across arbitrary read
 * boundaries, several queries in flight at once, answers written as length+message in one write,
 * FIN once the work is done. The framing does not care what the socket is: a TLS socket (DoT,
 * RFC 7858) gets the same connection and the same limits.
 *
 * Protections against hostile clients (RFC 7766 §6.2.3, §10), enforced here and timed by the
 * listener's sweep (`ConnectionSlots`):
 * - every whole message must arrive within `messageTimeoutMs` of its first byte; single bytes
 *   do not extend it (slowloris);
 * - reading pauses at `maxInflightPerConnection` unanswered queries, after `messagesPerTurn`
 *   messages in one go (so one pipelining client cannot hold the event loop), and while the
 *   client is not reading its answers (a client that stays that way is cut off);
 * - the idle timestamps (`lastActive`, `partialSince`, `blockedSince`, `closingSince`) let the
 *   listener close idle connections first when its slots run short.
 */
export class TcpConnection {
  readonly socket: Socket;
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
  /** Queries handed to the pipeline and not yet answered or dropped. */
  inflight = 0;
  /** The socket has closed: answers for it are discarded. */
  closed = false;
  /** performance.now() of the last whole message read or answer written. */
  lastActive: number;
  /** When the first byte of the message being received arrived, or -1 between messages. */
  partialSince = -1;
  /** Since when the client has not been reading its answers (reading paused), or -1. */
  blockedSince = -1;
  /** When the server began ending this connection, or -1. */
  closingSince = -1;
  /** The listener's per-client slot key (set and cleared by ConnectionSlots). */
  slotKey: string | null = null;
  readonly #host: ConnectionHost;
  readonly #limits: TcpLimits;
  /** No more reading; the socket ends once in-flight answers are written. */
  #closing = false;
  /** PAUSE_* bits; reading is paused while any is set. */
  #pause = 0;
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
    this.lastActive = performance.now();
    socket.setNoDelay(true);
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('drain', this.#onDrain);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
  }

  /** Reading has stopped for good (shutdown, destroy or close). */
  get closing(): boolean {
    return this.#closing;
  }

  /** Nothing in flight, no message half received, nothing waiting to be written. */
  get idle(): boolean {
    return this.inflight === 0 && this.partialSince < 0 && this.blockedSince < 0 && !this.#closing;
  }

  /** Reading is paused by us (in-flight cap or a yielded turn), so a half message is our delay. */
  get heldBack(): boolean {
    return (this.#pause & (PAUSE_INFLIGHT | PAUSE_TURN)) !== 0;
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
    const flowing = socket.write(out);
    this.#host.counters.sent++;
    if (socket.writableLength > this.#limits.maxPendingOutput) {
      this.#host.overflowed(this);
      this.destroy();
      return;
    }
    this.lastActive = performance.now();
    if (!flowing && (this.#pause & PAUSE_OUTPUT) === 0) {
      // The client is not keeping up with its answers: read no more queries until it does.
      this.#pause |= PAUSE_OUTPUT;
      this.blockedSince = this.lastActive;
      this.socket.pause();
    }
  }

  /** One query of this connection is finished (answered or dropped). */
  settle(): void {
    if (this.inflight > 0) this.inflight--;
    if (this.#closing) {
      if (this.inflight === 0) this.#end();
    } else if ((this.#pause & PAUSE_INFLIGHT) !== 0 && this.inflight < this.#limits.maxInflightPerConnection) {
      // Deferred: we may be inside the pipeline's reply, which still uses the scratch context.
      this.#scheduleResume();
    }
  }

  /** Pauses reading until in-flight answers drain below the cap. */
  pauseReading(): void {
    if ((this.#pause & PAUSE_INFLIGHT) !== 0 || this.#closing) return;
    this.#pause |= PAUSE_INFLIGHT;
    this.#host.counters.pauses++;
    this.socket.pause();
  }

  /** Stops reading; ends the connection (FIN) as soon as nothing is in flight. */
  shutdown(): void {
    if (this.#closing || this.closed) return;
    this.#closing = true;
    this.closingSince = performance.now();
    this.#backlog = null;
    this.#asm = null;
    this.#lenHi = -1;
    this.partialSince = -1;
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

  #scheduleResume(): void {
    if (this.#resumeScheduled) return;
    this.#resumeScheduled = true;
    setImmediate(this.#resume);
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
    const perTurn = this.#limits.messagesPerTurn;
    let taken = 0;
    let off = 0;
    while (off < len && !this.#closing) {
      if (this.#pause !== 0 || taken >= perTurn) {
        this.#backlog = off === 0 ? data : data.subarray(off);
        if (this.#pause === 0) {
          // This connection had its turn: let other sockets and timers run, then carry on.
          this.#pause |= PAUSE_TURN;
          this.#host.counters.yields++;
          this.socket.pause();
          this.#scheduleResume();
        }
        return;
      }
      const asm = this.#asm;
      if (asm !== null) {
        const take = Math.min(asm.length - this.#asmFill, len - off);
        data.copy(asm, this.#asmFill, off, off + take);
        this.#asmFill += take;
        off += take;
        if (this.#asmFill < asm.length) return;
        this.#asm = null;
        this.#complete();
        taken++;
        this.#host.dispatch(this, asm);
        continue;
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
        this.partialSince = performance.now();
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
        this.#complete();
        taken++;
        this.#host.dispatch(this, msg);
      } else {
        const buf = Buffer.allocUnsafe(n);
        data.copy(buf, 0, off, len);
        this.#asm = buf;
        this.#asmFill = len - off;
        if (this.partialSince < 0) this.partialSince = performance.now();
        return;
      }
    }
  }

  /** A whole message has arrived. */
  #complete(): void {
    this.partialSince = -1;
    this.lastActive = performance.now();
  }

  readonly #resume = (): void => {
    this.#resumeScheduled = false;
    if (this.#closing) return;
    let pause = this.#pause & ~PAUSE_TURN;
    if (this.inflight < this.#limits.maxInflightPerConnection) pause &= ~PAUSE_INFLIGHT;
    this.#pause = pause;
    if (pause !== 0) return;
    // The time we held the connection back does not count against its message deadline.
    if (this.partialSince >= 0) this.partialSince = performance.now();
    const backlog = this.#backlog;
    if (backlog !== null) {
      this.#backlog = null;
      this.#feed(backlog);
    }
    if (this.#closing || this.#pause !== 0) return;
    if (this.#peerEnded) this.shutdown();
    else this.socket.resume();
  };

  readonly #onDrain = (): void => {
    if ((this.#pause & PAUSE_OUTPUT) === 0) return;
    this.#pause &= ~PAUSE_OUTPUT;
    this.blockedSince = -1;
    if (!this.#closing) this.#scheduleResume();
  };

  readonly #onEnd = (): void => {
    this.#peerEnded = true;
    if (this.#pause === 0) this.shutdown();
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
