/**
 * A scriptable DNS server for tests: UDP and TCP on the same 127.0.0.1 port, plus DNS over TLS
 * and DNS over HTTPS (HTTP/2) when given a certificate. Behaviour is scripted per qname
 * (answers, delay, drop, RCODE, truncation, spoofed answers, closing the connection) and every
 * query received is recorded. Answers are built with src/wire encodeMessage/decodeMessage.
 *
 *   const up = await FakeUpstream.start();
 *   t.teardown(() => up.close());
 *   up.set('www.example.', { answer: [aRecord('www.example.', '192.0.2.1')], delayMs: 50 });
 *   up.set('dead.example.', { drop: true });
 *   // ... query up.address / up.port ...
 *   t.equal(up.count('www.example.', 'udp'), 1);
 */
import dgram from 'node:dgram';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { RCode, RClass, RRType } from '../../src/wire/constants.js';
import { decodeMessage, encodeMessage } from '../../src/wire/message.js';
import { canonicalName, nameToWire } from '../../src/wire/name.js';
import type { Message, RR } from '../../src/wire/types.js';

/** What the server does for one query. Everything is optional; {} answers NOERROR, no records. */
export interface Behavior {
  answer?: RR[];
  authority?: RR[];
  additional?: RR[];
  /** Default NOERROR. */
  rcode?: number;
  aa?: boolean;
  ad?: boolean;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Never answer (spoofed answers, if any, are still sent). */
  drop?: boolean;
  /** Over UDP answer with TC=1 and empty sections; over TCP/TLS/HTTPS answer in full. */
  truncate?: boolean;
  /**
   * Forged answers sent at once, before the real one: `id` wrong ID, `question` wrong qname,
   * `port` right answer from another UDP port (UDP only). They carry A 203.0.113.66 (SPOOF_ADDRESS).
   */
  spoof?: ('id' | 'question' | 'port')[];
  /** TCP/TLS: close the connection instead of answering. */
  closeConnection?: boolean;
  /** Echo this qname in the answer's question instead of the one asked (e.g. other letter case). */
  replyQuestion?: string;
}
/** A fixed behaviour, or one computed from the query (e.g. from how often it was asked). */
export type Script = Behavior | ((q: ReceivedQuery) => Behavior);

export type FakeTransport = 'udp' | 'tcp' | 'tls' | 'https';

/** One query as received. */
export interface ReceivedQuery {
  transport: FakeTransport;
  /** Source address and port (the TCP/TLS connection's for streams). */
  address: string;
  port: number;
  /** TCP/TLS connection or HTTP/2 session serial (1, 2, ...); 0 for UDP. */
  connection: number;
  /** HTTPS only: GET or POST. */
  method?: string;
  /** TLS/HTTPS: the SNI server name the client sent (false or null when none). */
  sni?: string | false | null;
  message: Message;
  id: number;
  qname: string;
  qtype: number;
  rd: boolean;
  cd: boolean;
  /** EDNS UDP size, -1 without OPT. */
  udpSize: number;
  do: boolean;
}

export const SPOOF_ADDRESS = '203.0.113.66';

export function aRecord(name: string, address: string, ttl = 300): RR {
  return { name, type: RRType.A, class: RClass.IN, ttl, rdata: Uint8Array.from(address.split('.').map(Number)) };
}

/** SOA for negative answers (authority section); TTL and MINIMUM drive negative caching. */
export function soaRecord(zone: string, ttl = 300, minimum = 300, serial = 1): RR {
  const m = nameToWire(`ns.${zone}`);
  const r = nameToWire(`hostmaster.${zone}`);
  const rdata = new Uint8Array(m.length + r.length + 20);
  rdata.set(m, 0);
  rdata.set(r, m.length);
  const v = new DataView(rdata.buffer, m.length + r.length);
  [serial, 3600, 600, 86400, minimum].forEach((n, i) => v.setUint32(i * 4, n));
  return { name: zone, type: RRType.SOA, class: RClass.IN, ttl, rdata };
}

/** The A/AAAA addresses in an answer's answer section, in order (dotted quad / raw hex for AAAA). */
export function answerAddresses(wire: Uint8Array): string[] {
  return decodeMessage(wire).answer.filter((r) => r.type === RRType.A || r.type === RRType.AAAA)
    .map((r) => (r.type === RRType.A ? Array.from(r.rdata).join('.') : Buffer.from(r.rdata).toString('hex')));
}

/** Header RCODE of a wire message. */
export function rcodeOfWire(wire: Uint8Array): number {
  return wire[3]! & 0xf;
}

export interface FakeTls {
  key: Buffer;
  cert: Buffer;
}

export class FakeUpstream {
  /** Where UDP and TCP listen: 127.0.0.1 unless `start` was given another loopback address. */
  address = '127.0.0.1';
  /** UDP and TCP port. */
  port = 0;
  /** DNS over TLS port (0 without a certificate). */
  tlsPort = 0;
  /** DNS over HTTPS port (0 without a certificate), path /dns-query. */
  httpsPort = 0;
  readonly received: ReceivedQuery[] = [];
  /** Stream connections accepted (TCP + TLS) and HTTP/2 sessions. */
  connections = 0;
  #scripts = new Map<string, Script>();
  #default: Script = { rcode: RCode.NXDomain };
  #udp!: dgram.Socket;
  readonly #spoofer = dgram.createSocket('udp4');
  readonly #tcp = net.createServer((s) => this.#stream(s, 'tcp'));
  #tls: tls.Server | null = null;
  #h2: http2.Http2SecureServer | null = null;
  readonly #sockets = new Set<net.Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();

  private constructor() {}

  /**
   * Starts UDP+TCP on one ephemeral port, and DoT + DoH when `tlsCert` is given. `at` puts UDP
   * and TCP on a fixed IPv4 loopback address and port instead (port 53 needs root).
   */
  static async start(tlsCert?: FakeTls, at?: { address: string; port: number }): Promise<FakeUpstream> {
    const f = new FakeUpstream();
    if (at) f.address = at.address;
    await new Promise<void>((resolve) => f.#spoofer.bind(0, f.address, resolve));
    // UDP on an ephemeral port, then TCP on the same number (retry if that one is taken)
    for (let tries = 0; ; tries++) {
      const udp = dgram.createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(at?.port ?? 0, f.address, () => { udp.off('error', reject); resolve(); });
      });
      try {
        await listen(f.#tcp, udp.address().port, f.address);
        f.#udp = udp;
        f.port = udp.address().port;
        break;
      } catch (err) {
        udp.close();
        if (tries > 20 || at) throw err;
      }
    }
    const udp = f.#udp;
    udp.on('message', (msg, rinfo) => f.#query(msg, 'udp', rinfo.address, rinfo.port, 0, undefined, undefined, (b) => {
      udp.send(b, rinfo.port, rinfo.address);
    }, (b) => f.#spoofer.send(b, rinfo.port, rinfo.address)));
    if (tlsCert) {
      f.#tls = tls.createServer({ key: tlsCert.key, cert: tlsCert.cert }, (s) => f.#stream(s, 'tls'));
      f.tlsPort = await listen(f.#tls, 0);
      f.#h2 = http2.createSecureServer({ key: tlsCert.key, cert: tlsCert.cert });
      f.#h2.on('session', (s) => { f.connections++; (s as unknown as { hzSerial: number }).hzSerial = f.connections; });
      f.#h2.on('stream', (stream, headers) => f.#doh(stream, headers));
      f.httpsPort = await listen(f.#h2, 0);
    }
    return f;
  }

  /** Scripts a qname (case-insensitive); replaces an earlier script. */
  set(qname: string, script: Script): void {
    this.#scripts.set(canonicalName(qname), script);
  }

  /** Behaviour for names without a script (initially NXDOMAIN). */
  setDefault(script: Script): void {
    this.#default = script;
  }

  /** Queries received, optionally for one qname and/or over one transport. */
  count(qname?: string, transport?: FakeTransport): number {
    const k = qname === undefined ? undefined : canonicalName(qname);
    return this.received.filter((q) => (k === undefined || canonicalName(q.qname) === k)
      && (transport === undefined || q.transport === transport)).length;
  }

  /** Closes every open TCP/TLS connection (as a server's idle timeout would). */
  dropConnections(): void {
    for (const s of this.#sockets) s.destroy();
  }

  async close(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    this.dropConnections();
    const waits: Promise<unknown>[] = [
      new Promise<void>((resolve) => this.#udp.close(() => resolve())),
      new Promise<void>((resolve) => this.#spoofer.close(() => resolve())),
      new Promise((resolve) => this.#tcp.close(resolve)),
    ];
    if (this.#tls) waits.push(new Promise((resolve) => this.#tls!.close(resolve)));
    if (this.#h2) waits.push(new Promise((resolve) => this.#h2!.close(resolve)));
    await Promise.all(waits);
  }

  #stream(socket: net.Socket, transport: 'tcp' | 'tls'): void {
    const serial = ++this.connections;
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    const send = (b: Buffer): void => {
      if (socket.destroyed) return;
      const framed = Buffer.alloc(b.length + 2);
      framed.writeUInt16BE(b.length, 0);
      b.copy(framed, 2);
      socket.write(framed);
    };
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        const sni = transport === 'tls' ? (socket as tls.TLSSocket).servername : undefined;
        this.#query(msg, transport, socket.remoteAddress ?? '', socket.remotePort ?? 0, serial, undefined, sni, send, null, socket);
      }
    });
  }

  #doh(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    const method = String(headers[':method']);
    const url = new URL(String(headers[':path']), 'https://x');
    const serial = (stream.session as unknown as { hzSerial: number }).hzSerial;
    const sock = stream.session?.socket;
    const reply = (b: Buffer): void => {
      if (stream.closed) return;
      stream.respond({ ':status': 200, 'content-type': 'application/dns-message', 'content-length': b.length });
      stream.end(b);
    };
    const handle = (msg: Buffer): void => {
      const sni = (sock as tls.TLSSocket | undefined)?.servername;
      this.#query(msg, 'https', sock?.remoteAddress ?? '', sock?.remotePort ?? 0, serial, method, sni, reply, null);
    };
    if (url.pathname !== '/dns-query') {
      stream.respond({ ':status': 404 });
      stream.end();
    } else if (method === 'GET') {
      handle(Buffer.from(url.searchParams.get('dns') ?? '', 'base64url'));
    } else {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => handle(Buffer.concat(chunks)));
    }
  }

  #query(
    raw: Buffer, transport: FakeTransport, address: string, port: number, connection: number, method: string | undefined,
    sni: string | false | null | undefined, send: (b: Buffer) => void, sendOther: ((b: Buffer) => void) | null, socket?: net.Socket,
  ): void {
    let message: Message;
    try {
      message = decodeMessage(raw);
    } catch {
      return;
    }
    const qq = message.question[0];
    if (!qq) return;
    const q: ReceivedQuery = {
      transport, address, port, connection, method, sni, message, id: message.id, qname: qq.name, qtype: qq.type,
      rd: message.rd, cd: message.cd, udpSize: message.edns?.udpSize ?? -1, do: message.edns?.do ?? false,
    };
    this.received.push(q);
    const script = this.#scripts.get(canonicalName(qq.name)) ?? this.#default;
    const b = typeof script === 'function' ? script(q) : script;
    const spoofed = { answer: [aRecord(qq.name, SPOOF_ADDRESS)] };
    for (const kind of b.spoof ?? []) {
      if (kind === 'id') send(this.#reply(q, { ...b, ...spoofed }, { id: (q.id + 1) & 0xffff }));
      if (kind === 'question') send(this.#reply(q, { ...b, ...spoofed }, { qname: `spoofed.${qq.name}` }));
      if (kind === 'port' && sendOther) sendOther(this.#reply(q, { ...b, ...spoofed }));
    }
    if (b.drop) return;
    const answer = (): void => {
      if (b.closeConnection && socket) socket.destroy();
      else send(this.#reply(q, b));
    };
    if (b.delayMs) {
      const t = setTimeout(() => { this.#timers.delete(t); answer(); }, b.delayMs);
      this.#timers.add(t);
    } else {
      answer();
    }
  }

  #reply(q: ReceivedQuery, b: Behavior, forge: { id?: number; qname?: string } = {}): Buffer {
    const m = q.message;
    const tc = q.transport === 'udp' && b.truncate === true;
    return encodeMessage({
      id: forge.id ?? m.id, qr: true, opcode: 0, aa: b.aa ?? false, tc, rd: m.rd, ra: true, z: false,
      ad: b.ad ?? false, cd: m.cd, rcode: b.rcode ?? RCode.NoError,
      question: [{ ...m.question[0]!, name: forge.qname ?? b.replyQuestion ?? m.question[0]!.name }],
      answer: tc ? [] : b.answer ?? [], authority: tc ? [] : b.authority ?? [], additional: tc ? [] : b.additional ?? [],
      edns: m.edns ? { udpSize: 1232, extRcode: 0, version: 0, do: m.edns.do, options: [] } : null,
    }, { maxSize: q.transport === 'udp' ? Math.max(512, q.udpSize) : 65535 });
  }
}

function listen(server: net.Server, port: number, address = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

/** A throw-away CA and a server certificate for `hostnames` (SAN DNS names + IP 127.0.0.1). */
export interface TestPki {
  dir: string;
  caFile: string;
  ca: Buffer;
  certFile: string;
  cert: Buffer;
  keyFile: string;
  key: Buffer;
  /** Removes the directory. */
  cleanup(): void;
}

/** Makes a CA and a server certificate with `openssl` in a fresh temp directory. */
export function makeTestPki(hostnames: string[], label = 'horizond test'): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'hz-pki-'));
  const f = (n: string): string => join(dir, n);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const run = (args: string[]): void => { execFileSync('openssl', args, { stdio: 'pipe' }); };
  run(['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', `/CN=${label} CA`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  run(['req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', `/CN=${hostnames[0]}`]);
  const san = [...hostnames.map((h) => `DNS:${h}`), 'IP:127.0.0.1'].join(',');
  writeFileSync(f('ext.cnf'), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n`);
  run(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial',
    '-out', f('server.pem'), '-days', '2', '-extfile', f('ext.cnf')]);
  return {
    dir, caFile: f('ca.pem'), ca: readFileSync(f('ca.pem')), certFile: f('server.pem'), cert: readFileSync(f('server.pem')),
    keyFile: f('server.key'), key: readFileSync(f('server.key')),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
