import { randomBytes } from 'node:crypto';
import { isIPv4Mapped, parseIPv4, parseIPv6 } from '../view/address.js';
import { siphash24 } from './siphash.js';

/** RFC 9018 §4.3: a cookie is accepted up to an hour old and up to five minutes ahead of our clock. */
const MAX_AGE = 3600;
const MAX_AHEAD = 300;

/** Random secret for configs without one: one per process, so a reload keeps issued cookies valid. */
let processSecret: Buffer | null = null;

function hex(secret: string | null): Buffer | null {
  return secret === null ? null : Buffer.from(secret, 'hex');
}

/**
 * Makes and checks RFC 9018 server cookies: Version 1 | Reserved 0 (3) | Timestamp (4) |
 * SipHash-2-4(Client Cookie | Version | Reserved | Timestamp | Client-IP) (8), 16 bytes. Cookies
 * made with `previous` (the secret before a rotation) are still accepted. No allocation per call.
 */
export class CookieJar {
  readonly #current: Buffer;
  readonly #previous: Buffer | null;
  readonly #now: () => number;
  /** Hash input: client cookie (8) + version, reserved, timestamp (8) + address (4 or 16). */
  readonly #input = Buffer.alloc(32);
  readonly #hash = Buffer.alloc(8);

  constructor(secret: string | null, previous: string | null, now: () => number = () => Math.floor(Date.now() / 1000)) {
    if (secret === null && processSecret === null) processSecret = randomBytes(16);
    this.#current = hex(secret) ?? processSecret!;
    this.#previous = hex(previous);
    this.#now = now;
  }

  /** Writes the 16-byte server cookie for the client cookie `client[at..at+8)` and `address` to `out[o..]`. */
  make(client: Uint8Array, at: number, address: string, out: Uint8Array, o: number): void {
    let n = this.#fill(client, at, address, this.#now());
    if (n < 0) n = 16; // an address we cannot read (never from our transports): hash without it
    siphash24(this.#current, this.#input, n, this.#hash);
    for (let i = 0; i < 8; i++) out[o + i] = this.#input[8 + i]!;
    for (let i = 0; i < 8; i++) out[o + 8 + i] = this.#hash[i]!;
  }

  /** True when `buf[server..server+len)` is a server cookie we made for this client cookie and address, recently. */
  valid(buf: Uint8Array, client: number, server: number, len: number, address: string): boolean {
    if (len !== 16 || buf[server] !== 1) return false;
    const ts = ((buf[server + 4]! << 24) | (buf[server + 5]! << 16) | (buf[server + 6]! << 8) | buf[server + 7]!) >>> 0;
    const now = this.#now();
    // Serial-number arithmetic (RFC 1982) so the check survives the 2106 wrap.
    const age = (now - ts) | 0;
    if (age > MAX_AGE || age < -MAX_AHEAD) return false;
    const n = this.#fill(buf, client, address, ts);
    if (n < 0) return false;
    for (let i = 1; i < 4; i++) if (buf[server + i] !== 0) return false;
    if (this.#matches(this.#current, n, buf, server + 8)) return true;
    return this.#previous !== null && this.#matches(this.#previous, n, buf, server + 8);
  }

  #matches(key: Buffer, n: number, buf: Uint8Array, at: number): boolean {
    siphash24(key, this.#input, n, this.#hash);
    let diff = 0;
    for (let i = 0; i < 8; i++) diff |= this.#hash[i]! ^ buf[at + i]!;
    return diff === 0;
  }

  /** Fills the hash input; returns its length (-1 when the address cannot be read). */
  #fill(client: Uint8Array, at: number, address: string, ts: number): number {
    const b = this.#input;
    for (let i = 0; i < 8; i++) b[i] = client[at + i]!;
    b[8] = 1;
    b[9] = 0; b[10] = 0; b[11] = 0;
    b[12] = (ts >>> 24) & 0xff; b[13] = (ts >>> 16) & 0xff; b[14] = (ts >>> 8) & 0xff; b[15] = ts & 0xff;
    const v4 = parseIPv4(address);
    if (v4 >= 0) {
      b.writeUInt32BE(v4 >>> 0, 16);
      return 20;
    }
    if (!parseIPv6(address, b, 16)) return -1;
    if (isIPv4Mapped(b, 16)) {
      b.copy(b, 16, 28, 32);
      return 20;
    }
    return 32;
  }
}
