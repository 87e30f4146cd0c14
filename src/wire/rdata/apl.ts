import { WireError } from '../errors.js';
import type { FieldCodec } from './field.js';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from './ip.js';

/** APL (RFC 3123): a list of `[!]afi:address/prefix` items filling the RDATA. */

const AFI_SIZE: Record<number, number> = { 1: 4, 2: 16 };

export const apl: FieldCodec = {
  span(b, pos, end) {
    while (pos < end) {
      if (pos + 4 > end) throw new WireError('truncated APL item', pos);
      const len = b[pos + 3]! & 0x7f;
      if (pos + 4 + len > end) throw new WireError('APL address runs past the end of rdata', pos);
      const size = AFI_SIZE[(b[pos]! << 8) | b[pos + 1]!];
      if (size !== undefined && (len > size || b[pos + 2]! > size * 8)) throw new WireError('bad APL item', pos);
      pos += 4 + len;
    }
    return pos;
  },
  parse(cur, out) {
    for (const t of cur.rest()) {
      const m = /^(!?)(\d+):([^/]+)\/(\d+)$/.exec(t.text);
      const afi = m ? Number(m[2]) : 0;
      const size = AFI_SIZE[afi];
      const addr = m && size ? (size === 4 ? parseIPv4(m[3]!) : parseIPv6(m[3]!)) : null;
      const prefix = m ? Number(m[4]) : 0;
      if (!m || !size || !addr || prefix > size * 8) return cur.fail(t, `"${t.text}" is not a valid APL item`);
      let len = addr.length;
      while (len > 0 && addr[len - 1] === 0) len--;
      out.u16(afi);
      out.u8(prefix);
      out.u8((m[1] ? 0x80 : 0) | len);
      out.bytes(addr.subarray(0, len));
    }
  },
  print(b, pos, end) {
    const items: string[] = [];
    while (pos < end) {
      const afi = (b[pos]! << 8) | b[pos + 1]!;
      const len = b[pos + 3]! & 0x7f;
      const size = AFI_SIZE[afi];
      if (size === undefined) throw new WireError('APL address family without presentation form', pos);
      const addr = new Uint8Array(size);
      addr.set(b.subarray(pos + 4, pos + 4 + len));
      const text = size === 4 ? formatIPv4(addr) : formatIPv6(addr);
      items.push(`${b[pos + 3]! & 0x80 ? '!' : ''}${afi}:${text}/${b[pos + 2]}`);
      pos += 4 + len;
    }
    return items.join(' ');
  },
};
