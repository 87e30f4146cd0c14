import { MAX_NAME_WIRE } from './constants.js';
import { WireError } from './errors.js';
import { nameToLabels } from './name.js';

/**
 * Appends DNS wire data to a growable buffer. Owns the compression table (suffix → offset), so
 * one Writer writes one message. Reusable: `reset()` clears it for the next message.
 */
export class Writer {
  buf: Buffer;
  offset = 0;
  #compress = new Map<string, number>();

  constructor(initialSize = 512) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  reset(): void {
    this.offset = 0;
    this.#compress.clear();
  }

  ensure(n: number): void {
    if (this.offset + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.offset + n) size *= 2;
    const nb = Buffer.allocUnsafe(size);
    this.buf.copy(nb, 0, 0, this.offset);
    this.buf = nb;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.offset++] = v & 0xff;
  }

  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v & 0xffff, this.offset);
    this.offset += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.offset);
    this.offset += 4;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.offset);
    this.offset += b.length;
  }

  /** Overwrites a u16 at an earlier position (e.g. RDLENGTH once the RDATA is written). */
  patchU16(at: number, v: number): void {
    this.buf.writeUInt16BE(v & 0xffff, at);
  }

  /** Writes a presentation-format name, compressed against earlier names when `compress`. */
  name(name: string, compress = true): void {
    this.labels(nameToLabels(name), compress);
  }

  /**
   * Writes an uncompressed wire name (as held inside RDATA), compressing it when asked.
   * Returns the number of bytes it occupied in `wire`.
   */
  wireName(wire: Uint8Array, at = 0, compress = true): number {
    const labels: Uint8Array[] = [];
    let p = at;
    for (;;) {
      if (p >= wire.length) throw new WireError('name in rdata runs past its end');
      const len = wire[p]!;
      if (len === 0) break;
      if (len > 63) throw new WireError('bad label length in rdata name');
      labels.push(wire.subarray(p + 1, p + 1 + len));
      p += len + 1;
    }
    this.labels(labels, compress);
    return p + 1 - at;
  }

  labels(labels: Uint8Array[], compress: boolean): void {
    let total = 1;
    for (const l of labels) total += l.length + 1;
    if (total > MAX_NAME_WIRE) throw new WireError('name longer than 255 bytes');
    for (let i = 0; i < labels.length; i++) {
      if (compress) {
        const key = suffixKey(labels, i);
        const ptr = this.#compress.get(key);
        if (ptr !== undefined) {
          this.u16(0xc000 | ptr);
          return;
        }
        if (this.offset < 0x4000) this.#compress.set(key, this.offset);
      }
      const l = labels[i]!;
      this.u8(l.length);
      this.bytes(l);
    }
    this.u8(0);
  }

  /** The bytes written so far (a view, not a copy). */
  view(): Buffer {
    return this.buf.subarray(0, this.offset);
  }
}

function suffixKey(labels: Uint8Array[], from: number): string {
  let s = '';
  for (let i = from; i < labels.length; i++) {
    const l = labels[i]!;
    for (let j = 0; j < l.length; j++) {
      let c = l[j]!;
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      s += String.fromCharCode(c);
    }
    s += '\u0100'; // separator outside the byte range
  }
  return s;
}
