import { createSocket, type RemoteInfo } from 'node:dgram';
import { connect, isIPv6 } from 'node:net';
import { XfrError } from './errors.js';

/**
 * The replication side's own small DNS client (SOA checks, transfers, NOTIFY, forwarded
 * updates): every exchange gets a fresh socket or connection, so answers are matched by source
 * and ID alone (RFC 5452) and nothing is shared with the forwarder's upstream pool. These run a
 * few times per zone change, never per client query.
 */

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

export function endpointText(e: Endpoint): string {
  return isIPv6(e.address) ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

/** True when `answer` is a response (QR) to the message `query` (same ID). */
function answers(answer: Buffer, query: Buffer): boolean {
  return answer.length >= 12 && answer[0] === query[0] && answer[1] === query[1] && (answer[2]! & 0x80) !== 0;
}

/**
 * One UDP exchange on a new socket (a fresh random source port). Datagrams from anywhere but
 * `to`, or with another ID, are ignored. Rejects with XfrError on timeout or socket error.
 */
export function udpExchange(to: Endpoint, msg: Buffer, timeoutMs: number, signal?: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = createSocket(isIPv6(to.address) ? 'udp6' : 'udp4');
    let finished = false;
    const done = (err: Error | null, answer?: Buffer): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      sock.close();
      if (err) reject(err);
      else resolve(answer!);
    };
    const onAbort = (): void => done(aborted(to));
    if (signal?.aborted) return reject(aborted(to));
    signal?.addEventListener('abort', onAbort);
    const timer = setTimeout(() => done(new XfrError(`no answer from ${endpointText(to)} within ${timeoutMs} ms`, 'HZ_ERR_XFR_TIMEOUT')), timeoutMs);
    sock.on('error', (err) => done(new XfrError(`${endpointText(to)}: ${err.message}`, 'HZ_ERR_XFR_NETWORK')));
    sock.on('message', (m: Buffer, rinfo: RemoteInfo) => {
      if (rinfo.address === to.address && rinfo.port === to.port && answers(m, msg)) done(null, m);
    });
    sock.send(msg, to.port, to.address);
  });
}

export interface StreamOptions {
  /** Longest wait for the connection and for each next message. */
  idleMs: number;
  /** Longest time for the whole exchange (default: no limit beyond idleMs). */
  totalMs?: number;
  /** Ends the exchange at once (shutdown). */
  signal?: AbortSignal;
}

function aborted(to: Endpoint): XfrError {
  return new XfrError(`${endpointText(to)}: cancelled`, 'HZ_ERR_XFR_NETWORK');
}

/**
 * Sends `msg` on a new TCP connection and hands every answer message to `onMessage` until it
 * returns true; then the connection is closed. Rejects with XfrError when the connection fails
 * or closes early, a message has another ID, a wait exceeds `idleMs`, or `onMessage` throws.
 */
export function tcpStream(to: Endpoint, msg: Buffer, onMessage: (m: Buffer) => boolean, opts: StreamOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: to.address, port: to.port, noDelay: true });
    let buf: Buffer = Buffer.alloc(0);
    let finished = false;
    const where = endpointText(to);
    const done = (err: Error | null): void => {
      if (finished) return;
      finished = true;
      clearTimeout(total);
      opts.signal?.removeEventListener('abort', onAbort);
      sock.destroy();
      if (err) reject(err);
      else resolve();
    };
    const onAbort = (): void => done(aborted(to));
    if (opts.signal?.aborted) return done(aborted(to));
    opts.signal?.addEventListener('abort', onAbort);
    const total = opts.totalMs ? setTimeout(() => done(new XfrError(`${where}: exchange not finished within ${opts.totalMs} ms`, 'HZ_ERR_XFR_TIMEOUT')), opts.totalMs) : undefined;
    sock.setTimeout(opts.idleMs, () => done(new XfrError(`${where}: nothing received for ${opts.idleMs} ms`, 'HZ_ERR_XFR_TIMEOUT')));
    sock.on('error', (err) => done(new XfrError(`${where}: ${err.message}`, 'HZ_ERR_XFR_NETWORK')));
    sock.on('close', () => done(new XfrError(`${where}: connection closed before the answer was complete`, 'HZ_ERR_XFR_NETWORK')));
    sock.on('connect', () => {
      const framed = Buffer.allocUnsafe(msg.length + 2);
      framed.writeUInt16BE(msg.length, 0);
      msg.copy(framed, 2);
      sock.write(framed);
    });
    sock.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      while (!finished && buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const m = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        if (!answers(m, msg)) return done(new XfrError(`${where}: answer with another ID`));
        let complete: boolean;
        try {
          complete = onMessage(m);
        } catch (err) {
          return done(err as Error);
        }
        if (complete) return done(null);
      }
    });
  });
}

/** One request and its single answer over a new TCP connection. */
export async function tcpExchange(to: Endpoint, msg: Buffer, timeoutMs: number, signal?: AbortSignal): Promise<Buffer> {
  let answer: Buffer | null = null;
  await tcpStream(to, msg, (m) => {
    answer = Buffer.from(m);
    return true;
  }, { idleMs: timeoutMs, totalMs: timeoutMs, ...(signal ? { signal } : {}) });
  return answer!;
}
