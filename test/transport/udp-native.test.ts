// The native UDP backend (packages/udp-batch) on its own: what node:dgram gives for free or
// never meets (cut datagrams, mapped addresses, replies outside the batch, wildcard source
// addresses, bursts), and the addon's behaviour when JavaScript misbehaves inside a batch.
import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { promisify } from 'node:util';
import dnsPacket from 'dns-packet';
import type { QueryContext } from '../../src/pipeline/context.js';
import { NativeUdpServer, formatIPv6, type NativeUdpServerOptions } from '../../src/transport/udp-native.js';
import { ROOT } from '../helpers/daemon.js';
import { answerFor, nativeUdp, query, TestHandler, until } from '../helpers/transport.js';

const run = promisify(execFile);

if (nativeUdp === null) {
  // udp-backend.test.ts fails under CI when this happens.
  t.comment('the udp-batch addon is not built here: skipped');
} else {
  const binding = nativeUdp;

  async function start(t: Test, handler: TestHandler, address: string, extra: Partial<NativeUdpServerOptions> = {}) {
    const server = new NativeUdpServer(handler, { address, port: 0, binding, ...extra });
    const bound = await server.start();
    t.teardown(() => server.close());
    return { server, port: bound.port };
  }

  /** A client socket collecting replies with their source address. */
  async function client(t: Test, type: 'udp4' | 'udp6' = 'udp4', recvBufferSize?: number): Promise<{ s: Socket; got: { msg: Buffer; from: RemoteInfo }[] }> {
    const s = recvBufferSize ? createSocket({ type, recvBufferSize }) : createSocket(type);
    const got: { msg: Buffer; from: RemoteInfo }[] = [];
    s.on('message', (msg, from) => got.push({ msg, from }));
    await new Promise<void>((resolve) => s.bind(0, type === 'udp4' ? '127.0.0.1' : '::1', () => resolve()));
    t.teardown(() => s.close());
    return { s, got };
  }

  t.test('a datagram longer than its receive slot is cut, counted, and handed on as node:dgram would', async (t) => {
    const handler = new TestHandler();
    const { server, port } = await start(t, handler, '127.0.0.1', { rxSlot: 512 });
    const seen: number[] = [];
    handler.respond = (m) => {
      seen.push(m.length);
      return answerFor(m);
    };
    const c = await client(t);
    // 1,000 bytes: a query followed by junk (what matters is the length).
    const big = Buffer.concat([query(1), Buffer.alloc(1000 - query(1).length, 0x41)]);
    c.s.send(big, port, '127.0.0.1');
    await until(() => seen.length === 1, 5000, 'the cut datagram handled');
    t.same(seen, [512], 'the request path saw the 512 bytes that fit');
    t.equal(server.nativeStats().truncated, 1, 'counted as truncated');
    c.s.send(query(2), port, '127.0.0.1');
    await until(() => c.got.some((g) => g.msg.readUInt16BE(0) === 2), 5000, 'the next query answered');
    t.equal(seen[1], query(2).length, 'the next datagram is whole');
  });

  t.test('IPv4 clients of a dual-stack :: socket are seen as IPv4 and answered, now and later', async (t) => {
    const handler = new TestHandler();
    handler.delayFor = (id) => (id === 2 ? 30 : 0);
    const { port } = await start(t, handler, '::', { ipv6Only: false });
    const c = await client(t, 'udp4');
    c.s.send(query(1), port, '127.0.0.1');
    c.s.send(query(2), port, '127.0.0.1');
    await until(() => c.got.length === 2, 5000, 'both answers');
    t.same(handler.seen.map((s) => [s.address, s.family]), [['127.0.0.1', 4], ['127.0.0.1', 4]], 'unmapped address, family 4');
    t.same(c.got.map((g) => g.msg.readUInt16BE(0)).sort(), [1, 2], 'the batch reply and the later one arrive');
    t.ok(c.got.every((g) => g.from.address === '127.0.0.1' && g.from.port === port));
    const c6 = await client(t, 'udp6');
    c6.s.send(query(3), port, '::1');
    await until(() => c6.got.length === 1, 5000, 'IPv6 answer');
    t.equal(handler.seen[2]!.address, '::1');
    t.equal(handler.seen[2]!.family, 6);
  });

  t.test('a reply larger than its send slot goes out whole, on its own', async (t) => {
    const handler = new TestHandler();
    // 3,000 bytes: the answer padded with an EDNS padding option (RFC 7830).
    handler.respond = (m) => {
      const q = dnsPacket.decode(m);
      return dnsPacket.encode({
        type: 'response', id: q.id, flags: dnsPacket.AUTHORITATIVE_ANSWER, questions: q.questions,
        additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096, options: [{ code: 12, data: Buffer.alloc(2900) }] } as dnsPacket.Answer],
      });
    };
    const { server, port } = await start(t, handler, '127.0.0.1', { txSlot: 1024 });
    const c = await client(t);
    c.s.send(query(7), port, '127.0.0.1');
    c.s.send(query(8), port, '127.0.0.1');
    await until(() => c.got.length === 2, 5000, 'both large answers');
    t.ok(c.got.every((g) => g.msg.length > 2900), `whole: ${c.got.map((g) => g.msg.length).join(', ')} bytes`);
    t.same(c.got.map((g) => g.msg.readUInt16BE(0)).sort(), [7, 8]);
    t.equal(server.counters.sent, 2);
  });

  t.test('a reply after its batch was sent keeps its own query (the slot was reused meanwhile)', async (t) => {
    const handler = new TestHandler();
    handler.hold = true;
    const { server, port } = await start(t, handler, '127.0.0.1', { batch: 2 });
    const c = await client(t);
    c.s.send(query(101, 'first.example'), port, '127.0.0.1');
    await until(() => handler.held.length === 1, 5000, 'first held');
    // Later batches land in the same receive slots.
    for (let i = 0; i < 4; i++) c.s.send(query(200 + i, `other${i}.example`), port, '127.0.0.1');
    await until(() => handler.held.length === 5, 5000, 'the others held');
    const first = handler.held[0]! as QueryContext;
    t.equal(first.msg.readUInt16BE(0), 101, 'the detached query kept its bytes');
    first.sink!.reply(first, answerFor(first.msg));
    await until(() => c.got.length === 1, 5000, 'late answer');
    const r = dnsPacket.decode(c.got[0]!.msg);
    t.equal(r.id, 101);
    t.equal(r.questions?.[0]?.name, 'first.example', 'the answer is to the first question');
    for (const h of handler.held.slice(1)) h.sink!.reply(h, answerFor(h.msg));
    await until(() => c.got.length === 5, 5000, 'all answered');
    t.equal(server.inflight, 0);
  });

  t.test('close() from inside a batch: the rest of the batch is dropped, the port is released, nothing crashes', async (t) => {
    const handler = new TestHandler();
    let server: NativeUdpServer | null = null;
    let closing: Promise<void> | null = null;
    handler.respond = (m) => {
      closing ??= server!.close();
      return answerFor(m);
    };
    const started = await start(t, handler, '127.0.0.1');
    server = started.server;
    const c = await client(t);
    for (let i = 0; i < 5; i++) c.s.send(query(i), started.port, '127.0.0.1');
    await until(() => closing !== null, 5000, 'closed from the handler');
    await closing;
    const counters = server.counters;
    t.equal(counters.sent, 0, 'no reply once closed');
    t.ok(counters.late >= 1, 'the reply being written is counted late');
    // The port is free again at once.
    const probe = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.bind(started.port, '127.0.0.1', () => resolve());
    });
    probe.close();
    t.pass('port released');
  });

  t.test('an exception thrown by the batch callback reaches uncaughtException; the socket keeps working', async (t) => {
    // In a child process: tap treats an uncaught exception as a failure of its own.
    const script = `
      const b = require(${JSON.stringify(`${ROOT}/packages/udp-batch`)});
      const dgram = require('node:dgram');
      const B = 4, RX = 2048, TX = 512;
      const rx = Buffer.alloc(B * RX), rxm = Buffer.alloc(B * b.META), tx = Buffer.alloc(B * TX), txm = Buffer.alloc(B * b.TX_META), dest = Buffer.alloc(b.META);
      let calls = 0, caught = [];
      process.on('uncaughtException', (e) => caught.push(e.message));
      const h = b.open(4, '127.0.0.1', 0, false, false, rx, rxm, tx, txm, dest, B, RX, TX, (n) => {
        calls++;
        if (calls === 1) throw new Error('boom in batch');
        // Echo the datagram back from the batch's send slot.
        const len = rxm.readUInt32LE(0);
        rx.copy(tx, 0, 0, len);
        txm.writeUInt32LE(len, 0); txm.writeUInt32LE(0, 4);
        b.flush(h, 1);
      });
      b.start(h);
      const port = b.local(h)[0];
      const c = dgram.createSocket('udp4');
      c.on('message', (m) => {
        console.log(JSON.stringify({ caught, calls, echo: m.toString() }));
        c.close(); b.close(h);
      });
      c.bind(0, '127.0.0.1', () => {
        c.send('first', port, '127.0.0.1');
        const again = () => { if (caught.length === 0) return setTimeout(again, 10); c.send('second', port, '127.0.0.1'); };
        again();
      });
      setTimeout(() => { console.log(JSON.stringify({ timeout: true, caught, calls })); process.exit(1); }, 10000).unref();
    `;
    const { stdout } = await run(process.execPath, ['-e', script], { timeout: 20_000 });
    const out = JSON.parse(stdout.trim()) as { caught: string[]; calls: number; echo: string };
    t.same(out.caught, ['boom in batch'], 'the exception surfaced once, as uncaughtException');
    t.equal(out.calls, 2);
    t.equal(out.echo, 'second', 'the next batch was delivered and answered');
  });

  t.test('a burst of 10,000 queries: every one answered once (windows of 1,000, bounded in time)', async (t) => {
    const handler = new TestHandler();
    const { server, port } = await start(t, handler, '127.0.0.1');
    const c = await client(t, 'udp4', 4 * 1024 * 1024);
    const total = 10_000;
    const window = 1_000;
    const seen = new Uint8Array(total);
    let answered = 0;
    let duplicates = 0;
    c.s.on('message', (m) => {
      const id = m.readUInt16BE(0);
      if (seen[id]) duplicates++;
      else answered++;
      seen[id] = 1;
    });
    const deadline = Date.now() + 60_000;
    for (let base = 0; base < total; base += window) {
      for (let id = base; id < base + window; id++) c.s.send(query(id), port, '127.0.0.1');
      await until(() => answered >= base + window || Date.now() > deadline, 30_000, `window at ${base} answered`);
    }
    t.equal(answered, total, 'none lost');
    t.equal(duplicates, 0, 'none twice');
    const n = server.nativeStats();
    t.equal(server.counters.received, total);
    t.ok(n.batches < total, `batched: ${total} datagrams in ${n.batches} recvmmsg calls`);
    t.equal(n.queueDropped, 0);
  });

  t.test('a wildcard bind answers from the address the query was sent to', async (t) => {
    for (const [bind, to] of [['0.0.0.0', '127.0.0.2'], ['::', '127.0.0.3']] as const) {
      const handler = new TestHandler();
      handler.delayFor = (id) => (id === 2 ? 20 : 0);
      const { port } = await start(t, handler, bind, { ipv6Only: false });
      const c = await client(t);
      c.s.send(query(1), port, to);
      c.s.send(query(2), port, to);
      await until(() => c.got.length === 2, 5000, `answers via ${bind}`);
      t.same(c.got.map((g) => g.from.address), [to, to], `${bind}: both answers (in the batch and later) come from ${to}`);
    }
    // IPv6 wildcard, IPv6 client.
    const handler = new TestHandler();
    const { port } = await start(t, handler, '::', { ipv6Only: true });
    const c6 = await client(t, 'udp6');
    c6.s.send(query(3), port, '::1');
    await until(() => c6.got.length === 1, 5000, 'v6 answer');
    t.equal(c6.got[0]!.from.address, '::1');
  });

  t.test('IPv6 text form matches inet_ntop (RFC 5952)', async (t) => {
    const cases = ['::1', '::', '2001:db8::1', 'fe80::1:2', '2001:db8:0:1:1:1:1:1', '1::', '2001:0:0:1::1', '::ffff:192.0.2.1', '2001:db8:85a3::8a2e:370:7334'];
    // Each case is already in canonical form: expanded to bytes and written back, it must come
    // out the same (WHATWG's URL parser agrees, except that it writes mapped tails in hex).
    for (const text of cases) {
      t.equal(formatIPv6(expand(text, Buffer.alloc(16)), 0), text, text);
      if (!text.includes('.')) t.equal(new URL(`http://[${text}]/`).hostname, `[${text}]`, `${text} is canonical`);
    }
  });
}

/** Fills `out` with the 16 bytes of an IPv6 literal (test helper, via its URL form). */
function expand(text: string, out: Buffer): Buffer {
  const [head, tail] = text.split('::') as [string, string | undefined];
  const part = (s: string | undefined): number[] => {
    if (!s) return [];
    return s.split(':').flatMap((g) => (g.includes('.') ? g.split('.').map(Number).reduce<number[]>((acc, b, i) => (i % 2 ? [...acc.slice(0, -1), (acc[acc.length - 1]! << 8) | b] : [...acc, b]), []) : [parseInt(g, 16)]));
  };
  const h = part(head);
  const tl = tail === undefined ? [] : part(tail);
  const words = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - tl.length).fill(0), ...tl];
  words.forEach((w, i) => out.writeUInt16BE(w, i * 2));
  return out;
}
