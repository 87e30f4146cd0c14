import type { TsigStreamSigner } from '../tsig/stream.js';

/**
 * The part of a TCP connection (transport/tcp-connection.ts `TcpConnection`, found in
 * `ctx.conn` for TCP queries) a transfer writes to: `send()` writes one framed message without
 * finishing the query.
 */
export interface StreamConnection {
  readonly closed: boolean;
  readonly socket: {
    readonly writableLength: number;
    once(event: 'drain' | 'close', listener: () => void): unknown;
    off(event: 'drain' | 'close', listener: () => void): unknown;
  };
  send(msg: Buffer): void;
  destroy(): void;
}

/** Unsent bytes above which writing waits for the socket to drain (well below the listener's cut-off). */
export const HIGH_WATER = 256 * 1024;

/** How the query ends: the last message through the transport's reply (which finishes the query), or no reply. */
export interface StreamEnd {
  reply(last: Buffer): void;
  dropped(): void;
}

export interface StreamResult {
  messages: number;
  bytes: number;
  /** False when the client went away (or the records could not be packed) before the end. */
  complete: boolean;
}

/**
 * Writes a multi-message answer on the query's TCP connection, signing each message with
 * `signer` when the request was signed (RFC 8945 §5.3.1), pacing on the socket's buffer so a
 * large zone never piles up in memory. `messages` is pulled lazily; a message is only built
 * when the previous one is on its way.
 */
export async function streamAnswer(
  conn: StreamConnection, end: StreamEnd, messages: Iterator<Buffer>, signer: TsigStreamSigner | null, now: () => number,
): Promise<StreamResult> {
  const r: StreamResult = { messages: 0, bytes: 0, complete: false };
  try {
    let cur = messages.next();
    while (!cur.done) {
      const next = messages.next();
      const wire = signer ? signer.sign(cur.value, now()) : cur.value;
      if (conn.closed) break;
      r.messages++;
      r.bytes += wire.length;
      if (next.done) {
        end.reply(wire);
        r.complete = true;
        return r;
      }
      conn.send(wire);
      if (conn.socket.writableLength > HIGH_WATER) await drained(conn);
      cur = next;
    }
  } catch {
    conn.destroy(); // half a transfer must not look like a whole one
  }
  end.dropped();
  return r;
}

function drained(conn: StreamConnection): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      conn.socket.off('drain', done);
      conn.socket.off('close', done);
      resolve();
    };
    conn.socket.once('drain', done);
    conn.socket.once('close', done);
  });
}
