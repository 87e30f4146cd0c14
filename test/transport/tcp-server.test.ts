import t, { type Test } from 'tap';
import dnsPacket from 'dns-packet';
import { TransportKind } from '../../src/pipeline/context.js';
import { ListenError } from '../../src/transport/errors.js';
import { TcpServer, type TcpServerOptions } from '../../src/transport/tcp-server.js';
import { frame, query, sleep, TcpTestClient, TestHandler, until } from '../helpers/transport.js';

async function startTcp(t: Test, handler: TestHandler, extra: Partial<TcpServerOptions> = {}, address = '127.0.0.1') {
  const server = new TcpServer(handler, { address, port: 0, ...extra });
  const { port } = await server.start();
  t.teardown(() => server.close());
  return { server, port };
}

function client(t: Test, port: number, host = '127.0.0.1', opts: { read?: boolean } = {}): TcpTestClient {
  const c = new TcpTestClient(port, host, opts);
  t.teardown(() => c.destroy());
  return c;
}

t.test('pipelined queries in one write are answered as they are ready, matched by ID', async (t) => {
  const handler = new TestHandler();
  const delays: Record<number, number> = { 1: 150, 2: 50, 3: 0, 4: 100 };
  handler.delayFor = (id) => delays[id] ?? 0;
  const { server, port } = await startTcp(t, handler);
  const c = client(t, port);
  await c.connected;
  await c.write(Buffer.concat([1, 2, 3, 4].map((id) => frame(query(id, `q${id}.example`)))));
  await c.waitFor(4);
  t.same(c.ids(), [3, 2, 4, 1], 'out of order: fastest first');
  for (const r of c.responses) {
    const m = dnsPacket.decode(r);
    t.equal(m.type, 'response');
    t.equal(m.questions?.[0]?.name, `q${m.id}.example`, `answer ${m.id} carries its own question`);
  }
  t.same(handler.seen.map((s) => s.transport), [1, 1, 1, 1].map(() => TransportKind.Tcp));
  t.equal(handler.seen[0]!.address, '127.0.0.1');
  t.match(server.counters, { accepted: 1, received: 4, sent: 4, active: 1 });
});

t.test('a message split into 1-byte writes is reassembled', async (t) => {
  const handler = new TestHandler();
  const { port } = await startTcp(t, handler);
  const c = client(t, port);
  c.socket.setNoDelay(true);
  await c.connected;
  const bytes = frame(query(0xbeef, 'split.example'));
  for (const b of bytes) {
    await c.write(Buffer.from([b]));
    await sleep(2);
  }
  await c.waitFor(1);
  t.equal(c.ids()[0], 0xbeef);
  t.equal(handler.seen.length, 1, 'handled exactly once');
});

t.test('messages cut at arbitrary points across reads', async (t) => {
  const handler = new TestHandler();
  const { port } = await startTcp(t, handler);
  const c = client(t, port);
  c.socket.setNoDelay(true);
  await c.connected;
  const all = Buffer.concat([10, 11, 12].map((id) => frame(query(id))));
  const a = frame(query(10)).length;
  // cuts: inside the first length prefix, right after it, inside the 2nd prefix, mid-message
  const cuts = [1, 2, a + 1, a + 7, all.length];
  let prev = 0;
  for (const cut of cuts) {
    await c.write(all.subarray(prev, cut));
    await sleep(15);
    prev = cut;
  }
  await c.waitFor(3);
  t.same(c.ids(), [10, 11, 12]);
});

t.test('IPv6 round trip on ::1', async (t) => {
  const handler = new TestHandler();
  const { port } = await startTcp(t, handler, { ipv6Only: true }, '::1');
  const c = client(t, port, '::1');
  await c.connected;
  await c.write(frame(query(66)));
  await c.waitFor(1);
  t.equal(c.ids()[0], 66);
  t.equal(handler.seen[0]!.family, 6);
  t.equal(handler.seen[0]!.address, '::1');
});

t.test('malformed framing closes that connection only', async (t) => {
  const handler = new TestHandler();
  const { server, port } = await startTcp(t, handler);
  const zero = client(t, port);
  await zero.connected;
  await zero.write(Buffer.concat([frame(query(1)), Buffer.from([0, 0])]));
  await zero.closed;
  t.same(zero.ids(), [1], 'the good query before the zero-length frame was answered before closing');

  const short = client(t, port);
  await short.connected;
  await short.write(Buffer.from([0, 5, 1, 2, 3, 4, 5]));
  await short.closed;
  t.equal(short.responses.length, 0);
  t.equal(server.counters.malformed, 2);

  const good = client(t, port);
  await good.connected;
  await good.write(frame(query(3)));
  await good.waitFor(1);
  t.same(good.ids(), [3], 'server still serving');
});

t.test('a client that half-closes still gets every answer, then FIN', async (t) => {
  const handler = new TestHandler();
  handler.delayFor = (id) => id * 20;
  const { server, port } = await startTcp(t, handler);
  const c = client(t, port);
  await c.connected;
  await c.write(Buffer.concat([3, 2, 1].map((id) => frame(query(id)))));
  c.socket.end();
  await c.closed;
  t.same(c.ids(), [1, 2, 3], 'all answers before the server ended');
  await until(() => server.counters.active === 0, 2000, 'connection released');
});

t.test('answers for a connection that is gone are ignored', async (t) => {
  const handler = new TestHandler();
  handler.hold = true;
  const { server, port } = await startTcp(t, handler);
  const c = client(t, port);
  await c.connected;
  await c.write(frame(query(5)));
  await until(() => handler.held.length === 1);
  c.socket.resetAndDestroy(); // RST: a FIN alone would look like a half-close still owed its answer
  await until(() => server.counters.active === 0, 2000, 'connection released');
  t.doesNotThrow(() => handler.release());
  t.equal(server.counters.late, 1);
  t.equal(server.counters.sent, 0);
});

t.test('listening on a port in use is fatal and names the address', async (t) => {
  const { port } = await startTcp(t, new TestHandler());
  const second = new TcpServer(new TestHandler(), { address: '127.0.0.1', port });
  const err = await second.start().then(() => null, (e: unknown) => e);
  t.type(err, ListenError);
  t.equal((err as ListenError).code, 'HZ_ERR_LISTEN');
  t.equal((err as ListenError).errno, 'EADDRINUSE');
  t.match((err as ListenError).message, `tcp: cannot listen on 127.0.0.1:${port}`);
  await second.close();
});

t.test('dropped queries free their in-flight slot', async (t) => {
  const handler = new TestHandler();
  handler.delayFor = (id) => (id === 1 ? -1 : 0);
  const { server, port } = await startTcp(t, handler, { maxInflightPerConnection: 1 });
  const c = client(t, port);
  await c.connected;
  await c.write(Buffer.concat([frame(query(1)), frame(query(2))]));
  await c.waitFor(1);
  t.same(c.ids(), [2]);
  t.equal(server.counters.dropped, 1);
});
