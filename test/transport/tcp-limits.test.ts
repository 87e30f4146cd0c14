import t, { type Test } from 'tap';
import { pino } from 'pino';
import { TcpServer, type TcpServerOptions } from '../../src/transport/tcp-server.js';
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

t.test('connections beyond the cap are closed at once, counted and logged', async (t) => {
  const handler = new TestHandler();
  const records: Array<{ level: number; msg: string }> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void records.push(JSON.parse(line)) });
  const { server, port } = await startTcp(t, handler, { maxConnections: 2, logger });
  const a = client(t, port);
  const b = client(t, port);
  await Promise.all([a.connected, b.connected]);
  await until(() => server.counters.accepted === 2);
  const c = client(t, port);
  await c.closed;
  t.equal(server.counters.rejected, 1);
  const e = new TcpTestClient(port);
  t.teardown(() => e.destroy());
  await e.closed;
  t.equal(server.counters.rejected, 2);
  const warned = records.filter((r) => /connection limit/.test(r.msg));
  t.equal(warned.length, 1, 'warned once (throttled), not per connection');
  t.equal(warned[0]!.level, 40);
  await a.write(frame(query(1)));
  await b.write(frame(query(2)));
  await Promise.all([a.waitFor(1), b.waitFor(1)]);
  t.same([a.ids(), b.ids()], [[1], [2]], 'connections under the cap keep working');
  a.destroy();
  await until(() => server.counters.active === 1, 2000, 'slot freed');
  const d = client(t, port);
  await d.connected;
  await d.write(frame(query(4)));
  await d.waitFor(1);
  t.same(d.ids(), [4], 'a freed slot is usable again');
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

t.test('a client that never reads is cut off and does not block others', async (t) => {
  const handler = new TestHandler();
  // 60 000-byte answers: the kernel buffers fill quickly, then our pending output grows.
  handler.respond = (m) => {
    const big = Buffer.alloc(60_000);
    m.copy(big, 0, 0, 12);
    return big;
  };
  const { server, port } = await startTcp(t, handler, { maxPendingOutput: 256 * 1024 });
  const stuck = client(t, port, { read: false });
  const partial = client(t, port);
  await Promise.all([stuck.connected, partial.connected]);
  await partial.write(Buffer.from([0])); // half a length prefix, then silence
  await stuck.write(Buffer.concat(Array.from({ length: 400 }, (_, i) => frame(query(i)))));
  await until(() => server.counters.overflows === 1, 5000, 'slow reader cut off');

  const fast = client(t, port);
  await fast.connected;
  await fast.write(frame(query(9999)));
  await fast.waitFor(1);
  t.same(fast.ids(), [9999], 'another client is served');
  t.ok(handler.seen.length < 401, `the cut connection stopped being read (${handler.seen.length} handled)`);
  t.equal(server.counters.active, 2, 'the stalled partial client and the fast one remain');
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
  c.socket.end(); // half-close: the server owes us 200 answers (12 MB), most of them still queued
  await until(() => handler.seen.length === 200, 3000, 'all queries read');
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
  t.equal(got, 200, 'every queued answer arrived before the server closed');
  t.equal(server.counters.overflows, 0);
});
