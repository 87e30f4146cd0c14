// A bounded slowloris attacker for tests and bench/slowloris.ts: many TCP connections, each
// sends the first byte of a 0xffff length prefix and then one byte every `byteEveryMs`, never a
// whole message. A connection the server closes is opened again after `reconnectMs`, as a
// persistent attacker would. Everything stops at `durationMs` or stop(), whichever is first.
import { connect, type Socket } from 'node:net';

export interface SlowlorisOptions {
  host: string;
  port: number;
  /** Connections to hold open at once. */
  connections: number;
  /** Local addresses to spread the connections over (loopback 127.x.y.z), round robin. */
  sources: string[];
  byteEveryMs: number;
  durationMs: number;
  reconnectMs?: number;
}

export class Slowloris {
  /** Connections opened (first ones and reopened ones), and those the server closed. */
  opened = 0;
  closedByServer = 0;
  /** Connections established right now. */
  live = 0;
  readonly done: Promise<void>;
  readonly #opts: SlowlorisOptions;
  readonly #socks = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #stopped = false;
  #finish!: () => void;
  #drip: NodeJS.Timeout | null = null;
  #end: NodeJS.Timeout | null = null;

  constructor(opts: SlowlorisOptions) {
    this.#opts = opts;
    this.done = new Promise((resolve) => (this.#finish = resolve));
  }

  start(): this {
    for (let i = 0; i < this.#opts.connections; i++) this.#open(this.#opts.sources[i % this.#opts.sources.length]!);
    this.#drip = setInterval(() => {
      for (const s of this.#socks) if (!s.destroyed && s.writable) s.write(Buffer.from([0xff]), () => {});
    }, this.#opts.byteEveryMs);
    this.#end = setTimeout(() => this.stop(), this.#opts.durationMs);
    return this;
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#drip !== null) clearInterval(this.#drip);
    if (this.#end !== null) clearTimeout(this.#end);
    for (const t of this.#timers) clearTimeout(t);
    for (const s of this.#socks) s.destroy();
    this.#socks.clear();
    this.live = 0;
    this.#finish();
  }

  #open(source: string): void {
    if (this.#stopped) return;
    const s = connect({ host: this.#opts.host, port: this.#opts.port, localAddress: source });
    this.opened++;
    this.#socks.add(s);
    let established = false;
    s.on('error', () => {});
    s.on('data', () => {});
    s.once('connect', () => {
      established = true;
      this.live++;
      s.write(Buffer.from([0xff]), () => {});
    });
    s.once('close', () => {
      this.#socks.delete(s);
      if (established) this.live--;
      if (this.#stopped) return;
      this.closedByServer++;
      const t = setTimeout(() => {
        this.#timers.delete(t);
        this.#open(source);
      }, this.#opts.reconnectMs ?? 100);
      this.#timers.add(t);
    });
  }
}

/** `127.0.<hi>.1` .. `127.0.<hi>.<n>`: distinct loopback sources (Linux routes all of 127/8 to lo). */
export function loopbackSources(n: number, hi = 99): string[] {
  return Array.from({ length: n }, (_, i) => `127.0.${hi}.${i + 1}`);
}
