import t, { type Test } from 'tap';
import { pino } from 'pino';
import { TcpServer, type TcpServerOptions } from '../../src/transport/tcp-server.js';
import { ConnectionSlots } from '../../src/transport/tcp-slots.js';
import type { TcpConnection } from '../../src/transport/tcp-connection.js';
import { frame, query, sleep, TcpTestClient, TestHandler, until } from '../helpers/transport.js';

async function startTcp(t: Test, handler: TestHandler, extra: Partial<TcpServerOptions> = {}) {
  const server = new TcpServer(handler, { address: '127.0.0.1', port: 0, ...extra });
  const { port } = await server.start();
  t.teardown(() => server.close());
  return { server, port };
}

function client(t: Test, port: number, opts: { read?: boolean } = {}): TcpTestClient {
  const c = new TcpTestClient(port, '127.0.0.1', opts);
  t.teardown(() => c.destroy());
  return c;
}

t.test('idle timeout closes a silent connection, but not one with a query in flight', async (t) => {
  const handler = new TestHandler();
  handler.delayFor = () => 500;
  const { server, port } = await startTcp(t, handler, { idleTimeoutMs: 200 });
  const idle = client(t, port);
  const busy = client(t, port);
  await Promise.all([idle.connected, busy.connected]);
  const t0 = Date.now();
  await busy.write(frame(query(1)));
  await idle.closed;
  const idleFor = Date.now() - t0;
  t.ok(idleFor >= 150 && idleFor < 1000, `idle connection closed after ${idleFor} ms`);
  await busy.closed;
  const busyFor = Date.now() - t0;
  t.same(busy.ids(), [1], 'the slow answer arrived before the busy connection was closed');
  t.ok(busyFor >= 600, `busy connection closed ${busyFor} ms in (answer at 500 + idle 200)`);
  t.equal(server.counters.idleClosed, 2);
});

t.test('at the cap the longest idle connection gives way to a new one', async (t) => {
  const handler = new TestHandler();
  const { server, port } = await startTcp(t, handler, { maxConnections: 2 });
  const a = client(t, port);
  await a.connected;
  await until(() => server.counters.accepted === 1);
  const b = client(t, port);
  await b.connected;
  await b.write(frame(query(2)));
  await b.waitFor(1); // b was active more recently than a
  const c = client(t, port);
  await c.connected;
  await c.write(frame(query(3)));
  await c.waitFor(1);
  t.same(c.ids(), [3], 'the newcomer is served');
  await a.closed;
  t.equal(server.counters.evicted, 1, 'one idle connection closed to make room');
  t.equal(server.counters.rejected, 0, 'nobody refused');
  await b.write(frame(query(4)));
  await b.waitFor(2);
  t.same(b.ids(), [2, 4], 'the more recently active connection was kept');
});

t.test('when every slot has work in flight the newcomer is closed, counted and logged once', async (t) => {
  const handler = new TestHandler();
  handler.hold = true;
  const records: Array<{ level: number; msg: string }> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void records.push(JSON.parse(line)) });
  const { server, port } = await startTcp(t, handler, { maxConnections: 2, logger });
  const a = client(t, port);
  const b = client(t, port);
  await Promise.all([a.connected, b.connected]);
  await a.write(frame(query(1)));
  await b.write(frame(query(2)));
  await until(() => handler.held.length === 2);
  const c = client(t, port);
  await c.closed;
  const e = client(t, port);
  await e.closed;
  t.equal(server.counters.rejected, 2);
  t.equal(server.counters.evicted, 0, 'busy connections are never closed for a newcomer');
  const warned = records.filter((r) => /connection slot/.test(r.msg));
  t.equal(warned.length, 1, 'warned once (throttled), not per connection');
  t.equal(warned[0]!.level, 40);
  handler.hold = false;
  handler.release();
  await Promise.all([a.waitFor(1), b.waitFor(1)]);
  t.same([a.ids(), b.ids()], [[1], [2]], 'connections under the cap keep working');
});

t.test('a client gets at most maxConnectionsPerClient slots; other clients are not affected', async (t) => {
  const handler = new TestHandler();
  const { server, port } = await startTcp(t, handler, { maxConnectionsPerClient: 2 });
  const mine = [client(t, port), client(t, port)];
  await Promise.all(mine.map((c) => c.connected));
  await until(() => server.counters.accepted === 2);
  const third = client(t, port);
  await third.closed;
  t.equal(server.counters.clientRejected, 1);
  const other = new TcpTestClient(port, '127.0.0.1', { localAddress: '127.0.0.2' });
  t.teardown(() => other.destroy());
  await other.connected;
  await other.write(frame(query(7)));
  await other.waitFor(1);
  t.same(other.ids(), [7], 'another address still gets a connection');
  mine[0]!.destroy();
  await until(() => server.counters.active === 2, 2000, 'slot given back');
  const again = client(t, port);
  await again.connected;
  await again.write(frame(query(8)));
  await again.waitFor(1);
  t.same(again.ids(), [8], 'a freed per-client slot is usable again');
});

t.test('a message trickled a byte at a time is cut at the message deadline, not kept alive', async (t) => {
  const handler = new TestHandler();
  const { server, port } = await startTcp(t, handler, { idleTimeoutMs: 10_000, messageTimeoutMs: 300 });
  const slow = client(t, port);
  await slow.connected;
  const t0 = Date.now();
  await slow.write(Buffer.from([0xff])); // half of a 0xffff length prefix
  let sent = 1;
  const drip = setInterval(() => {
    if (!slow.socket.destroyed) slow.socket.write(Buffer.from([0x00]), () => {});
    sent++;
  }, 50);
  t.teardown(() => clearInterval(drip));
  await slow.closed;
  clearInterval(drip);
  const took = Date.now() - t0;
  t.ok(took >= 250 && took < 5000, `closed ${took} ms after the first byte (deadline 300 ms, a byte every 50 ms)`);
  t.ok(sent > 3, 'bytes kept coming while the deadline ran');
  t.equal(server.counters.slowClosed, 1);
  t.equal(server.counters.idleClosed, 0);

  // A message split over two quick writes is fine.
  const ok = client(t, port);
  await ok.connected;
  const f = frame(query(5));
  await ok.write(f.subarray(0, 5));
  await sleep(50);
  await ok.write(f.subarray(5));
  await ok.waitFor(1);
  t.same(ok.ids(), [5]);
});

t.test('idle connections time out sooner when more than half the slots are taken', async (t) => {
  const handler = new TestHandler();
  // The formula, on slots filled by hand (no sockets, no timing).
  const limits = { idleTimeoutMs: 60_000, minIdleTimeoutMs: 100, messageTimeoutMs: 1000, maxInflightPerConnection: 1, messagesPerTurn: 1, maxPendingOutput: 1 };
  const slots = new ConnectionSlots(limits, { maxConnections: 4, maxConnectionsPerClient: 4 }, new TcpServer(handler, { address: '127.0.0.1', port: 0 }).counters);
  const fakes = [1, 2, 3, 4].map((i) => ({ address: `10.0.0.${i}`, family: 4, slotKey: null, closingSince: -1, partialSince: -1, blockedSince: -1, idle: false }) as unknown as TcpConnection);
  const timeouts: number[] = [slots.idleTimeoutMs()];
  for (const f of fakes) {
    slots.add(f);
    timeouts.push(slots.idleTimeoutMs());
  }
  slots.stop();
  t.same(timeouts, [60_000, 60_000, 60_000, 30_000, 100], 'full until half the slots are used, then down to the minimum at a full listener');

  const { server, port } = await startTcp(t, handler, { maxConnections: 4, idleTimeoutMs: 60_000, minIdleTimeoutMs: 100 });
  const cs = [client(t, port), client(t, port), client(t, port), client(t, port)];
  await Promise.all(cs.map((c) => c.connected));
  const t0 = Date.now();
  // Three give way at the shortened timeout; the last one may then be alone (under half the
  // slots), when the long timeout applies again: wait for three, not four.
  let closed = 0;
  await new Promise<void>((resolve) => { for (const c of cs) void c.closed.then(() => { if (++closed === 3) resolve(); }); });
  t.ok(Date.now() - t0 < 20_000, 'three closed long before the 60 s idle timeout');
  t.ok(server.counters.idleClosed >= 3, `idle connections closed (${server.counters.idleClosed})`);
  // (teardown destroys the one left open)
});

t.test('a pipelining client yields to other work every messagesPerTurn messages', async (t) => {
  const handler = new TestHandler();
  let seenWhenOthersRan = -1;
  const respond = handler.respond;
  handler.respond = (m) => {
    // The first query schedules "other work"; it must run before this connection's burst is through.
    if (handler.seen.length === 1) setImmediate(() => (seenWhenOthersRan = handler.seen.length));
    return respond(m);
  };
  const { server, port } = await startTcp(t, handler, { messagesPerTurn: 8, maxInflightPerConnection: 1000 });
  const a = client(t, port);
  await a.connected;
  a.socket.write(Buffer.concat(Array.from({ length: 200 }, (_, i) => frame(query(i)))));
  await a.waitFor(200);
  t.ok(seenWhenOthersRan >= 1 && seenWhenOthersRan <= 8, `other work ran after ${seenWhenOthersRan} of 200 queries`);
  t.ok(server.counters.yields >= 1, `reading yielded ${server.counters.yields} times`);
  t.same(a.ids(), Array.from({ length: 200 }, (_, i) => i), 'every query answered, in order');
});

t.test('the in-flight cap pauses reading until answers drain', async (t) => {
  const handler = new TestHandler();
  handler.hold = true;
  const { server, port } = await startTcp(t, handler, { maxInflightPerConnection: 2 });
  const c = client(t, port);
  await c.connected;
  await c.write(Buffer.concat([1, 2, 3, 4, 5].map((id) => frame(query(id)))));
  await until(() => handler.held.length === 2);
  await sleep(100);
  t.equal(handler.seen.length, 2, 'only two queries taken while both are unanswered');
  t.ok(server.counters.pauses >= 1);
  handler.release(1);
  await until(() => handler.seen.length === 3, 2000, 'third query taken after one answer');
  await sleep(50);
  t.equal(handler.seen.length, 3, 'still capped at two in flight');
  handler.hold = false;
  handler.release();
  await c.waitFor(5);
  t.same(c.ids().sort(), [1, 2, 3, 4, 5]);
});

t.test('a client that never reads stops being read, is cut off after the idle timeout, and does not block others', async (t) => {
  const handler = new TestHandler();
  // 60 000-byte answers: the kernel buffers fill quickly, then our pending output grows.
  handler.respond = (m) => {
    const big = Buffer.alloc(60_000);
    m.copy(big, 0, 0, 12);
    return big;
  };
  const { server, port } = await startTcp(t, handler, { maxPendingOutput: 256 * 1024, idleTimeoutMs: 500 });
  const stuck = client(t, port, { read: false });
  await stuck.connected;
  await stuck.write(Buffer.concat(Array.from({ length: 400 }, (_, i) => frame(query(i)))));
  await until(() => server.counters.overflows === 1, 10_000, 'slow reader cut off');
  t.ok(handler.seen.length < 400, `reading stopped while answers were not read (${handler.seen.length} of 400 handled)`);

  const fast = client(t, port);
  await fast.connected;
  await fast.write(frame(query(9999)));
  await fast.waitFor(1);
  t.same(fast.ids(), [9999], 'another client is served');
});

t.test('close() lets an in-flight answer out, ends with FIN, refuses new connections', async (t) => {
  const handler = new TestHandler();
  handler.delayFor = () => 150;
  const server = new TcpServer(handler, { address: '127.0.0.1', port: 0 });
  const { port } = await server.start();
  const c = client(t, port);
  await c.connected;
  await c.write(frame(query(77)));
  await until(() => handler.seen.length === 1);
  const t0 = Date.now();
  const closing = server.close({ graceMs: 3000 });
  const late = new TcpTestClient(port);
  t.teardown(() => late.destroy());
  await late.closed;
  await c.closed;
  t.same(c.ids(), [77], 'the in-flight answer was written before the connection ended');
  let ended = false;
  c.socket.once('end', () => (ended = true));
  await closing;
  t.ok(Date.now() - t0 < 2000, 'close did not wait for the whole grace period');
  t.ok(ended || c.socket.readableEnded, 'the server ended with FIN');
  t.equal(server.counters.accepted, 1, 'nothing accepted after close()');
});

t.test('close() gives up on answers that do not come within graceMs', async (t) => {
  const handler = new TestHandler();
  handler.hold = true;
  const server = new TcpServer(handler, { address: '127.0.0.1', port: 0 });
  const { port } = await server.start();
  const c = client(t, port);
  await c.connected;
  await c.write(frame(query(1)));
  await until(() => handler.held.length === 1);
  const t0 = Date.now();
  await server.close({ graceMs: 150 });
  const took = Date.now() - t0;
  t.ok(took >= 140 && took < 1500, `closed after ${took} ms`);
  await c.closed;
  t.doesNotThrow(() => handler.release(), 'a late answer is ignored');
  t.equal(server.counters.late, 1);
});

t.test('ending a connection flushes answers still queued behind a slow reader', async (t) => {
  const handler = new TestHandler();
  handler.respond = (m) => {
    const big = Buffer.alloc(60_000);
    m.copy(big, 0, 0, 12);
    return big;
  };
  const { server, port } = await startTcp(t, handler, { maxPendingOutput: 64 * 1024 * 1024 });
  const c = client(t, port, { read: false });
  await c.connected;
  await c.write(Buffer.concat(Array.from({ length: 200 }, (_, i) => frame(query(i)))));
  c.socket.end(); // half-close: the server owes us 200 answers (12 MB)
  await until(() => handler.seen.length >= 1, 3000, 'reading started');
  await sleep(50);
  let got = 0;
  let pending = Buffer.alloc(0);
  c.socket.on('data', (d: Buffer) => {
    pending = Buffer.concat([pending, d]);
    while (pending.length >= 2 && pending.length >= pending.readUInt16BE(0) + 2) {
      got++;
      pending = pending.subarray(pending.readUInt16BE(0) + 2);
    }
  });
  c.socket.resume();
  await c.closed;
  t.equal(got, 200, 'every answer arrived before the server closed');
  t.equal(server.counters.overflows, 0);
});
