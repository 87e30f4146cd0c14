import t, { type Test } from 'tap';
import { createSocket, type Socket } from 'node:dgram';
import dnsPacket from 'dns-packet';
import { QueryContext, TransportKind } from '../../src/pipeline/context.js';
import { ListenError } from '../../src/transport/errors.js';
import { UdpServer } from '../../src/transport/udp-server.js';
import { answerFor, query, sleep, TestHandler } from '../helpers/transport.js';

/** Sends one datagram from a fresh client socket and waits for replies for `ms`. */
async function exchange(host: string, port: number, msgs: Buffer[], ms = 300): Promise<{ replies: Buffer[]; client: Socket }> {
  const client = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const replies: Buffer[] = [];
  client.on('message', (m) => replies.push(m));
  await new Promise<void>((resolve) => client.bind(0, host, () => resolve()));
  for (const m of msgs) client.send(m, port, host);
  await sleep(ms);
  client.close();
  return { replies, client };
}

async function startUdp(t: Test, handler: TestHandler, address: string, extra: Partial<ConstructorParameters<typeof UdpServer>[1]> = {}) {
  const server = new UdpServer(handler, { address, port: 0, ...extra });
  const bound = await server.start();
  t.teardown(() => server.close());
  return { server, bound };
}

t.test('IPv4 round trip: the answer goes back to the asker, context filled', async (t) => {
  const handler = new TestHandler();
  const { server, bound } = await startUdp(t, handler, '127.0.0.1');
  t.equal(bound.address, '127.0.0.1');
  t.ok(bound.port > 0, 'ephemeral port reported');
  const { replies } = await exchange('127.0.0.1', bound.port, [query(0x1234)]);
  t.equal(replies.length, 1);
  const r = dnsPacket.decode(replies[0]!);
  t.equal(r.id, 0x1234);
  t.equal(r.type, 'response');
  t.same(r.answers?.map((a) => (a as { data?: unknown }).data), ['192.0.2.1']);
  t.equal(handler.seen[0]!.address, '127.0.0.1');
  t.equal(handler.seen[0]!.family, 4);
  t.equal(handler.seen[0]!.transport, TransportKind.Udp);
  t.ok(handler.seen[0]!.port > 0);
  t.match(server.counters, { received: 1, sent: 1, dropped: 0, errors: 0 });
});

t.test('IPv6 round trip on ::1', async (t) => {
  const handler = new TestHandler();
  const { bound } = await startUdp(t, handler, '::1', { ipv6Only: true });
  t.equal(bound.address, '::1');
  const { replies } = await exchange('::1', bound.port, [query(7)]);
  t.equal(replies.length, 1);
  t.equal(dnsPacket.decode(replies[0]!).id, 7);
  t.equal(handler.seen[0]!.family, 6);
  t.equal(handler.seen[0]!.address, '::1');
});

t.test('late and dropped answers, several clients at once', async (t) => {
  const handler = new TestHandler();
  handler.delayFor = (id) => (id === 1 ? 80 : id === 2 ? -1 : 0);
  const { server, bound } = await startUdp(t, handler, '127.0.0.1');
  const { replies } = await exchange('127.0.0.1', bound.port, [query(1), query(2), query(3)], 300);
  t.same(replies.map((r) => r.readUInt16BE(0)), [3, 1], 'immediate answer first, delayed one later, dropped never');
  t.match(server.counters, { received: 3, sent: 2, dropped: 1 });
  t.equal(server.inflight, 0);
});

t.test('buffer sizes are applied (or capped with a warning, never a crash)', async (t) => {
  const warnings: string[] = [];
  const logger = { error() {}, info() {}, debug() {}, warn: (_o: object, m?: string) => void warnings.push(m ?? '') };
  const { server } = await startUdp(t, new TestHandler(), '127.0.0.1', { recvBufferSize: 256 * 1024, sendBufferSize: 1 << 30, logger });
  t.ok(server.recvBufferSize >= 256 * 1024, `recv buffer ${server.recvBufferSize}`);
  t.ok(server.sendBufferSize > 0);
  t.ok(warnings.some((w) => /send buffer/.test(w)), 'a 1 GiB send buffer is capped by the kernel and reported');
});

t.test('binding a port in use is fatal and names the address', async (t) => {
  const { bound } = await startUdp(t, new TestHandler(), '127.0.0.1');
  const second = new UdpServer(new TestHandler(), { address: '127.0.0.1', port: bound.port });
  const err = await second.start().then(() => null, (e: unknown) => e);
  t.type(err, ListenError);
  t.equal((err as ListenError).code, 'HZ_ERR_LISTEN');
  t.equal((err as ListenError).errno, 'EADDRINUSE');
  t.match((err as ListenError).message, `udp: cannot listen on 127.0.0.1:${bound.port}`);
  await second.close();
});

t.test('a handler that throws does not take the server down', async (t) => {
  const handler = new TestHandler();
  let calls = 0;
  handler.respond = (m) => {
    if (calls++ === 0) throw new Error('boom');
    return answerFor(m);
  };
  const { server, bound } = await startUdp(t, handler, '127.0.0.1');
  await exchange('127.0.0.1', bound.port, [query(1)], 100);
  const { replies } = await exchange('127.0.0.1', bound.port, [query(2)], 150);
  t.equal(replies.length, 1, 'still answering');
  t.equal(server.counters.errors, 1);
  t.equal(server.inflight, 0);
});

t.test('close() lets an in-flight answer out, then drops what comes later', async (t) => {
  const handler = new TestHandler();
  handler.delayFor = () => 100;
  const server = new UdpServer(handler, { address: '127.0.0.1', port: 0 });
  const { port } = await server.start();
  const client = createSocket('udp4');
  const replies: Buffer[] = [];
  client.on('message', (m) => replies.push(m));
  t.teardown(() => client.close());
  client.send(query(9), port, '127.0.0.1');
  await sleep(30);
  const t0 = Date.now();
  await server.close({ graceMs: 1000 });
  t.ok(Date.now() - t0 < 900, 'close returned once the answer was out, before the grace deadline');
  await sleep(30);
  t.equal(replies.length, 1, 'the in-flight answer was delivered');
  // An answer arriving after close is counted, not thrown.
  const late = new QueryContext();
  late.reset(query(10), '127.0.0.1', port, 4, TransportKind.Udp, server, null, 0);
  t.doesNotThrow(() => server.reply(late, answerFor(late.msg)));
  t.equal(server.counters.late, 1);
});
