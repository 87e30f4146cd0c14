import { WireError } from '../errors.js';
import type { FieldCodec } from './field.js';
import { name, spanName } from './fields-name.js';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from './ip.js';

/**
 * IPSECKEY (RFC 4025) gateway type, algorithm and gateway as one field, since the gateway's
 * form depends on its type: 0 none (`.`), 1 IPv4, 2 IPv6, 3 uncompressed domain name.
 */
export const ipsecGateway: FieldCodec = {
  span(b, pos, end) {
    if (pos + 2 > end) throw new WireError('truncated IPSECKEY', pos);
    const type = b[pos]!;
    const at = pos + 2;
    if (type === 0) return at;
    if (type === 1 || type === 2) {
      const next = at + (type === 1 ? 4 : 16);
      if (next > end) throw new WireError('IPSECKEY gateway runs past the end of rdata', at);
      return next;
    }
    if (type === 3) return spanName(b, at, end);
    throw new WireError('unknown IPSECKEY gateway type', pos);
  },
  parse(cur, out) {
    const tt = cur.next('gateway type');
    const type = cur.int(tt, 255, 'gateway type');
    if (type > 3) return cur.fail(tt, `gateway type ${type} is not 0..3`);
    const alg = cur.int(cur.next('algorithm'), 255, 'algorithm');
    out.u8(type);
    out.u8(alg);
    if (type === 3) {
      name.parse(cur, out, 'gateway');
      return;
    }
    const g = cur.next('gateway');
    if (type === 0) {
      if (g.text !== '.') return cur.fail(g, 'gateway must be "." for gateway type 0');
      return;
    }
    const ip = type === 1 ? parseIPv4(g.text) : parseIPv6(g.text);
    if (!ip) return cur.fail(g, `"${g.text}" is not an IPv${type === 1 ? 4 : 6} address`);
    out.bytes(ip);
  },
  print(b, pos) {
    const type = b[pos]!;
    const at = pos + 2;
    const gw = type === 0 ? '.' : type === 1 ? formatIPv4(b, at) : type === 2 ? formatIPv6(b, at) : name.print(b, at, at);
    return `${type} ${b[pos + 1]} ${gw}`;
  },
};
