import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { randomId } from './ids.js';
import type { Pending, PendingQueries, Transport } from './pending.js';
import { FRAME, Match, matchAnswer } from './query.js';
import type { ServerState } from './server.js';

/**
 * Source ports (RFC 5452 §9.2). A fresh socket per query costs about twice the CPU of sharing
 * one (measured on Node 20 / Linux against a local echo server: ~55-75 µs vs ~27-30 µs per
 * query with a socket shared by 8 queries), so each server keeps a small pool of SHORT-LIVED
 * sockets: a socket takes at most QUERIES_PER_SOCKET queries and is not given new ones after
 * SOCKET_MAX_AGE_MS, then closes when its last query settles. Every socket gets a new
 * random ephemeral port from the kernel, so an off-path attacker still has to guess ID + port;
 * sharing a port among a few queries for different questions does not help a forgery, which
 * must also match one query's exact question.
 */
const QUERIES_PER_SOCKET = 8;
const SOCKET_MAX_AGE_MS = 1000;

/** One short-lived socket with its own ID → attempt map. */
class UdpSocket {
  readonly sock: dgram.Socket;
  readonly waiting = new Map<number, Pending>();
  uses = 0;
  retired = false;
  closed = false;
  readonly born = performance.now();

  constructor(readonly owner: UdpTransport, family: 'udp4' | 'udp6') {
    this.sock = dgram.createSocket(family);
    this.sock.on('message', this.onMessage);
    this.sock.on('error', this.onError);
  }

  readonly onMessage = (msg: Buffer, rinfo: dgram.RemoteInfo): void => {
    this.owner.receive(this, msg, rinfo);
  };

  readonly onError = (err: Error): void => {
    this.owner.socketFailed(this, err);
  };

  /** Closes once retired and idle. */
  settleCheck(): void {
    if (this.retired && this.waiting.size === 0) this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sock.close();
  }
}

/** DNS over UDP to one server (answers accepted only from its address and port). */
export class UdpTransport implements Transport {
  readonly #address: string;
  readonly #port: number;
  readonly #family: 'udp4' | 'udp6';
  #current: UdpSocket | null = null;
  readonly #open = new Set<UdpSocket>();

  constructor(readonly server: ServerState, readonly pending: PendingQueries) {
    this.#address = server.spec.address!;
    this.#port = server.spec.port;
    this.#family = isIPv6(this.#address) ? 'udp6' : 'udp4';
  }

  send(p: Pending): void {
    const s = this.#socket(p.sentAt);
    let id = randomId();
    while (s.waiting.has(id)) id = randomId();
    p.query.writeUInt16BE(id, FRAME);
    p.key = id;
    p.handle = s;
    s.waiting.set(id, p);
    s.uses++;
    if (s.uses >= QUERIES_PER_SOCKET) this.#retire(s);
    s.sock.send(p.query, FRAME, p.query.length - FRAME, this.#port, this.#address);
  }

  forget(p: Pending): void {
    const s = p.handle as UdpSocket;
    if (s.waiting.get(p.key) === p) s.waiting.delete(p.key);
    s.settleCheck();
  }

  receive(s: UdpSocket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const p = msg.length >= 2 ? s.waiting.get(msg.readUInt16BE(0)) : undefined;
    if (p === undefined || rinfo.port !== this.#port || rinfo.address !== this.#address
      || matchAnswer(msg, p.query, p.qEnd) !== Match.Ok) {
      this.server.rejected++; // RFC 5452: ignore and keep waiting for the real answer
      return;
    }
    s.waiting.delete(p.key);
    s.settleCheck();
    this.pending.answer(p, msg);
  }

  socketFailed(s: UdpSocket, err: Error): void {
    this.#retire(s);
    for (const p of s.waiting.values()) this.pending.fail(p, false, `udp: ${err.message}`);
    s.waiting.clear();
    s.settleCheck();
  }

  #socket(now: number): UdpSocket {
    let s = this.#current;
    if (s !== null && now - s.born > SOCKET_MAX_AGE_MS) {
      this.#retire(s);
      s = null;
    }
    if (s === null) {
      s = new UdpSocket(this, this.#family);
      this.#open.add(s);
      s.sock.once('close', () => this.#open.delete(s!));
      this.#current = s;
    }
    return s;
  }

  #retire(s: UdpSocket): void {
    s.retired = true;
    if (this.#current === s) this.#current = null;
    s.settleCheck();
  }

  close(): Promise<void> {
    for (const s of this.#open) {
      s.retired = true;
      s.waiting.clear();
      s.close();
    }
    this.#open.clear();
    this.#current = null;
    return Promise.resolve();
  }
}
