// Shared pieces for the transport tests: a tiny QueryHandler, query builders and a raw TCP client.
import { connect, type Socket } from 'node:net';
import dnsPacket from 'dns-packet';
import type { QueryContext, QueryHandler, ReplySink } from '../../src/pipeline/context.js';
import { QueryView } from '../../src/wire/query-view.js';

/** A query for `name`/A with the given ID. */
export function query(id: number, name = 'example.com', type: 'A' | 'AAAA' = 'A'): Buffer {
  return dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] });
}

/** Length-prefixes a message for TCP. */
export function frame(msg: Buffer): Buffer {
  const out = Buffer.alloc(msg.length + 2);
  out.writeUInt16BE(msg.length, 0);
  msg.copy(out, 2);
  return out;
}

const ANSWER_A = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]);
const OPT = Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]);

/**
 * A valid response to `msg`: the question echoed with QR and AA set, one `A 192.0.2.1` answer
 * for A queries (NODATA otherwise) and an OPT record when the query had one.
 */
export function answerFor(msg: Buffer): Buffer {
  const q = new QueryView();
  if (!q.parse(msg)) {
    const h = Buffer.from(msg.subarray(0, 12));
    h.writeUInt16BE(0x8000 | (q.flags & 0x7900) | 1, 2); // FORMERR
    h.fill(0, 4);
    return h;
  }
  const head = Buffer.from(msg.subarray(0, q.questionEnd));
  head.writeUInt16BE(0x8000 | 0x0400 | (q.flags & 0x7900), 2);
  const answer = q.qtype === 1;
  head.writeUInt16BE(answer ? 1 : 0, 6);
  head.writeUInt16BE(0, 8);
  head.writeUInt16BE(q.hasEdns ? 1 : 0, 10);
  return Buffer.concat([head, answer ? ANSWER_A : Buffer.alloc(0), q.hasEdns ? OPT : Buffer.alloc(0)]);
}

/** What the handler saw of one query. */
export interface Seen {
  id: number;
  address: string;
  port: number;
  family: 4 | 6;
  transport: number;
}

/**
 * The test's pipeline: answers with answerFor(). `delayFor(id)` > 0 answers later through a
 * detached context (exercising out-of-order answers); < 0 drops; `hold` keeps the detached
 * contexts for the test to answer by hand.
 */
export class TestHandler implements QueryHandler {
  readonly seen: Seen[] = [];
  readonly held: QueryContext[] = [];
  delayFor: (id: number) => number = () => 0;
  hold = false;
  /** Builds the response (default answerFor). */
  respond: (msg: Buffer) => Buffer = answerFor;

  handle(ctx: QueryContext): void {
    const id = ctx.msg.length >= 2 ? ctx.msg.readUInt16BE(0) : -1;
    this.seen.push({ id, address: ctx.address, port: ctx.port, family: ctx.family, transport: ctx.transport });
    if (this.hold) {
      this.held.push(ctx.detach());
      return;
    }
    const delay = this.delayFor(id);
    if (delay < 0) {
      ctx.sink!.dropped(ctx);
    } else if (delay === 0) {
      ctx.sink!.reply(ctx, this.respond(ctx.msg));
    } else {
      const c = ctx.detach();
      setTimeout(() => (c.sink as ReplySink).reply(c, this.respond(c.msg)), delay);
    }
  }

  /** Answers the held queries (all, or the first n). */
  release(n = this.held.length): void {
    for (const c of this.held.splice(0, n)) c.sink!.reply(c, this.respond(c.msg));
  }
}

/** A raw DNS-over-TCP client that records every framed response it reads. */
export class TcpTestClient {
  readonly socket: Socket;
  readonly responses: Buffer[] = [];
  readonly connected: Promise<void>;
  /** Resolves when the server closes the connection (FIN or reset). */
  readonly closed: Promise<void>;
  #buf = Buffer.alloc(0);
  #waiters: Array<() => void> = [];

  constructor(port: number, host = '127.0.0.1', opts: { read?: boolean; localAddress?: string } = {}) {
    this.socket = connect({ port, host, allowHalfOpen: true, ...(opts.localAddress !== undefined ? { localAddress: opts.localAddress } : {}) });
    this.socket.on('error', () => {});
    this.connected = new Promise((resolve) => this.socket.once('connect', () => resolve()));
    this.closed = new Promise((resolve) => {
      this.socket.once('end', () => resolve());
      this.socket.once('close', () => resolve());
    });
    if (opts.read === false) this.socket.pause();
    else this.socket.on('data', (d: Buffer) => this.#onData(d));
  }

  #onData(d: Buffer): void {
    this.#buf = Buffer.concat([this.#buf, d]);
    while (this.#buf.length >= 2) {
      const n = this.#buf.readUInt16BE(0);
      if (this.#buf.length < n + 2) break;
      this.responses.push(this.#buf.subarray(2, n + 2));
      this.#buf = this.#buf.subarray(n + 2);
    }
    for (const w of this.#waiters.splice(0)) w();
  }

  write(data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (err) => (err ? reject(err) : resolve())));
  }

  /** Waits until `n` responses arrived; rejects after `ms`. */
  async waitFor(n: number, ms = 3000): Promise<Buffer[]> {
    const deadline = Date.now() + ms;
    while (this.responses.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out with ${this.responses.length}/${n} responses`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.responses;
  }

  ids(): number[] {
    return this.responses.map((r) => r.readUInt16BE(0));
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Resolves after ms. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `cond` every 10 ms until true; rejects after `ms`. */
export async function until(cond: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
