import type { TcpConnection, TcpCounters, TcpLimits } from './tcp-connection.js';

/** How a stream listener shares out its connection slots. */
export interface SlotLimits {
  readonly maxConnections: number;
  /** Connections one client (an IPv4 address, an IPv6 /64) may hold at once. */
  readonly maxConnectionsPerClient: number;
}

/** What admit() decided for a new connection. */
export const Admission = { Accepted: 0, Full: 1, ClientFull: 2 } as const;
export type Admission = (typeof Admission)[keyof typeof Admission];

/**
 * The connection slots of one stream listener (TCP here; a DoT listener uses the same class for
 * its TLS connections) and the one coarse timer that enforces every connection's deadlines:
 *
 * - a client gets at most `maxConnectionsPerClient` slots (IPv4 address, IPv6 /64), so one
 *   address cannot take the listener;
 * - at `maxConnections` a new connection is not refused while an older one can give way: of
 *   the connections with nothing in flight, the one without progress the longest is closed
 *   (idle since its last message, or trickling a message in, slowloris); only when every slot
 *   has work in flight is the newcomer refused;
 * - when more than half the slots are in use the idle timeout shrinks linearly down to
 *   `minIdleTimeoutMs` at a full listener (Unbound does the same);
 * - the sweep closes connections whose message missed `messageTimeoutMs`, idle ones past the
 *   (possibly shortened) idle timeout, clients that have not read their answers for a whole
 *   idle timeout, and connections we ended that still have not gone away.
 */
export class ConnectionSlots {
  readonly #conns = new Set<TcpConnection>();
  readonly #perClient = new Map<string, number>();
  readonly #limits: TcpLimits;
  readonly #slots: SlotLimits;
  readonly #counters: TcpCounters;
  #timer: NodeJS.Timeout | null = null;

  constructor(limits: TcpLimits, slots: SlotLimits, counters: TcpCounters) {
    this.#limits = limits;
    this.#slots = slots;
    this.#counters = counters;
  }

  get size(): number {
    return this.#conns.size;
  }

  get connections(): ReadonlySet<TcpConnection> {
    return this.#conns;
  }

  /**
   * Decides whether a connection from `address` may be accepted, closing an idle or stalled one
   * to make room if the listener is full.
   */
  admit(address: string, family: 4 | 6): Admission {
    const key = clientKey(address, family);
    if ((this.#perClient.get(key) ?? 0) >= this.#slots.maxConnectionsPerClient) {
      this.#counters.clientRejected++;
      return Admission.ClientFull;
    }
    if (this.#conns.size >= this.#slots.maxConnections) {
      const victim = this.#victim();
      if (victim === null) {
        this.#counters.rejected++;
        return Admission.Full;
      }
      this.#counters.evicted++;
      this.remove(victim);
      victim.destroy();
    }
    return Admission.Accepted;
  }

  /** Takes a slot for an admitted connection. */
  add(conn: TcpConnection): void {
    const key = clientKey(conn.address, conn.family);
    conn.slotKey = key;
    this.#perClient.set(key, (this.#perClient.get(key) ?? 0) + 1);
    this.#conns.add(conn);
    this.#counters.active = this.#conns.size;
    if (this.#timer === null) {
      this.#timer = setInterval(this.#sweep, sweepInterval(this.#limits));
      this.#timer.unref();
    }
  }

  /** Gives the slot back (idempotent). */
  remove(conn: TcpConnection): void {
    if (!this.#conns.delete(conn)) return;
    const key = conn.slotKey;
    if (key !== null) {
      conn.slotKey = null;
      const n = (this.#perClient.get(key) ?? 1) - 1;
      if (n <= 0) this.#perClient.delete(key);
      else this.#perClient.set(key, n);
    }
    this.#counters.active = this.#conns.size;
    if (this.#conns.size === 0) this.stop();
  }

  /** Stops the sweep timer (the listener is closing or empty). */
  stop(): void {
    if (this.#timer !== null) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }

  /** The idle timeout that applies now: shorter when more than half the slots are taken. */
  idleTimeoutMs(): number {
    const { idleTimeoutMs, minIdleTimeoutMs } = this.#limits;
    const used = this.#conns.size / this.#slots.maxConnections;
    if (used <= 0.5) return idleTimeoutMs;
    return Math.max(minIdleTimeoutMs, Math.min(idleTimeoutMs, idleTimeoutMs * (1 - used) * 2));
  }

  /** Applies every deadline once; `now` is performance.now(). Public for tests. */
  sweep(now: number): void {
    const idleMs = this.idleTimeoutMs();
    const { messageTimeoutMs, idleTimeoutMs } = this.#limits;
    for (const conn of this.#conns) {
      if (conn.closingSince >= 0) {
        // We ended it and it still has not gone: the client is not reading.
        if (now - conn.closingSince > idleTimeoutMs) conn.destroy();
        continue;
      }
      if (conn.partialSince >= 0 && !conn.heldBack && now - conn.partialSince > messageTimeoutMs) {
        this.#counters.slowClosed++;
        conn.shutdown();
      } else if (conn.blockedSince >= 0 && now - conn.blockedSince > idleTimeoutMs) {
        this.#counters.overflows++;
        conn.destroy();
      } else if (conn.idle && now - conn.lastActive > idleMs) {
        this.#counters.idleClosed++;
        conn.shutdown();
      }
    }
  }

  readonly #sweep = (): void => {
    this.sweep(performance.now());
  };

  /**
   * The connection to close for a newcomer: of those with nothing in flight, the one that has
   * made no progress the longest: idle since its last whole message, or trickling the message it
   * started. A connection just accepted is the newest of all, so an attacker reconnecting
   * cannot push out a real client that has not yet sent its query.
   */
  #victim(): TcpConnection | null {
    let victim: TcpConnection | null = null;
    let since = Infinity;
    for (const conn of this.#conns) {
      if (conn.closing) return conn; // already on its way out: just do not wait for it
      if (conn.inflight !== 0) continue;
      const stalled = conn.blockedSince >= 0 ? conn.blockedSince : conn.partialSince >= 0 ? conn.partialSince : conn.lastActive;
      if (stalled < since) {
        since = stalled;
        victim = conn;
      }
    }
    return victim;
  }
}

/** Sweep often enough to hold the shortest deadline to within about a quarter. */
function sweepInterval(l: TcpLimits): number {
  const shortest = Math.min(l.messageTimeoutMs, l.minIdleTimeoutMs, l.idleTimeoutMs);
  return Math.max(20, Math.min(1000, Math.floor(shortest / 4)));
}

/** One client: an IPv4 address, or an IPv6 /64 (one host's share of a subnet). */
export function clientKey(address: string, family: 4 | 6): string {
  if (family === 4) return address;
  const groups = expandV6(address);
  return groups.slice(0, 4).join(':');
}

function expandV6(address: string): string[] {
  const zone = address.indexOf('%');
  const a = zone >= 0 ? address.slice(0, zone) : address;
  const dbl = a.indexOf('::');
  if (dbl < 0) return a.split(':');
  const head = a.slice(0, dbl) === '' ? [] : a.slice(0, dbl).split(':');
  const tail = a.slice(dbl + 2) === '' ? [] : a.slice(dbl + 2).split(':');
  const fill = Array.from({ length: Math.max(0, 8 - head.length - tail.length) }, () => '0');
  return [...head, ...fill, ...tail];
}
