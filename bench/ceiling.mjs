// The ceiling: the fastest a single Node event loop answers DNS over `node:dgram` (and, for the
// TCP scenario, `node:net`) when it does no lookup at all. It reads the question, appends one
// fixed A record and sends. Whatever horizond does per query costs time on top of this, so
// "ratio to the ceiling" is how close the daemon is to what the runtime can carry.
//
//   node bench/ceiling.mjs --port 5399 [--address 127.0.0.1]   (UDP and TCP on the same port)
//
// Prints "ready" once listening. No EDNS in the reply, no validation beyond the header: a
// reference point, not a server.
import dgram from 'node:dgram';
import net from 'node:net';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const address = opt('--address', '127.0.0.1');
const port = Number(opt('--port', '5399'));

/** The answer appended to every question: pointer to the qname, A IN, TTL 3600, 198.18.0.1. */
const ANSWER = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 198, 18, 0, 1]);

/** End offset of the question section of `msg` starting at `start` (the header), or -1. */
function questionEnd(msg, start, end) {
  let i = start + 12;
  while (i < end) {
    const len = msg[i];
    if (len === 0) return i + 5 <= end ? i + 5 : -1;
    if (len > 63) return -1;
    i += len + 1;
  }
  return -1;
}

/** Writes the reply for the query at msg[start, end) into a new buffer at `offset`. */
function reply(msg, start, end, offset) {
  const q = questionEnd(msg, start, end);
  if (q < 0) return null;
  const qlen = q - start;
  const out = Buffer.allocUnsafe(offset + qlen + ANSWER.length);
  msg.copy(out, offset, start, q);
  out[offset + 2] = (msg[start + 2] & 0x79) | 0x84; // QR, AA; keep opcode and RD
  out[offset + 3] = 0x80; // RA, NOERROR
  out.writeUInt32BE(0x00010001, offset + 4); // QDCOUNT 1, ANCOUNT 1
  out.writeUInt32BE(0, offset + 8); // NSCOUNT 0, ARCOUNT 0
  ANSWER.copy(out, offset + qlen);
  return out;
}

class UdpCeiling {
  constructor(socket) {
    this.socket = socket;
    this.onMessage = this.onMessage.bind(this);
    socket.on('message', this.onMessage);
  }
  onMessage(msg, rinfo) {
    const out = reply(msg, 0, msg.length, 0);
    if (out !== null) this.socket.send(out, rinfo.port, rinfo.address);
  }
}

/** RFC 7766 framing: 2-byte length, any number of queries in flight per connection. */
function onTcp(conn) {
  let pending = Buffer.alloc(0);
  conn.on('data', (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let i = 0;
    const outs = [];
    while (pending.length - i >= 2) {
      const len = pending.readUInt16BE(i);
      if (pending.length - i - 2 < len) break;
      const out = reply(pending, i + 2, i + 2 + len, 2);
      if (out !== null) {
        out.writeUInt16BE(out.length - 2, 0);
        outs.push(out);
      }
      i += 2 + len;
    }
    pending = pending.subarray(i);
    if (outs.length > 0) conn.write(outs.length === 1 ? outs[0] : Buffer.concat(outs));
  });
  conn.on('error', () => conn.destroy());
}

const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
new UdpCeiling(socket);
socket.bind(port, address, () => {
  const server = net.createServer({ noDelay: true }, onTcp);
  server.listen(port, address, () => process.stdout.write('ready\n'));
});
// Exit normally on SIGTERM, so `node --cpu-prof` writes its profile.
process.on('SIGTERM', () => process.exit(0));
