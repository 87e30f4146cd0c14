import t from 'tap';
import { createServer, type Server } from 'node:net';
import { createSocket } from 'node:dgram';
import { ListenError } from '../../src/transport/errors.js';
import { startListeners, startPair } from '../../src/transport/listeners.js';
import { TcpServer } from '../../src/transport/tcp-server.js';
import { UdpServer } from '../../src/transport/udp-server.js';
import { frame, query, sleep, TcpTestClient, TestHandler } from '../helpers/transport.js';

t.test('port 0: UDP and TCP end up on the same port, for v4 and v6', async (t) => {
  const handler = new TestHandler();
  const l = await startListeners(
    [
      { address: '127.0.0.1', port: 0, protocols: ['udp', 'tcp'] },
      { address: '::1', port: 0, protocols: ['udp', 'tcp'] },
    ],
    handler,
    { tcp: { idleTimeoutMs: 1000 } },
  );
  t.teardown(() => l.close());
  const b = l.bound();
  t.equal(b.length, 4);
  t.same(b.map((x) => [x.protocol, x.address]), [['udp', '127.0.0.1'], ['tcp', '127.0.0.1'], ['udp', '::1'], ['tcp', '::1']]);
  t.equal(b[0]!.port, b[1]!.port, 'same port on 127.0.0.1');
  t.equal(b[2]!.port, b[3]!.port, 'same port on ::1');
  t.equal(l.udp.length, 2);
  t.equal(l.tcp.length, 2);

  // Both protocols answer on the reported port.
  const port = b[0]!.port;
  const udp = createSocket('udp4');
  const got = new Promise<Buffer>((resolve) => udp.once('message', resolve));
  udp.send(query(1), port, '127.0.0.1');
  t.equal((await got).readUInt16BE(0), 1, 'udp answered');
  udp.close();
  const c = new TcpTestClient(port);
  t.teardown(() => c.destroy());
  await c.connected;
  await c.write(frame(query(2)));
  await c.waitFor(1);
  t.same(c.ids(), [2], 'tcp answered');
});

t.test('startPair retries with a new port when TCP finds the UDP port taken', async (t) => {
  const handler = new TestHandler();
  const blockers: Server[] = [];
  t.teardown(() => blockers.forEach((b) => b.close()));
  const tried: number[] = [];
  let collisions = 2;
  const newTcp = (address: string, port: number) => {
    tried.push(port);
    const real = new TcpServer(handler, { address, port });
    if (collisions-- <= 0) return real;
    // Someone else grabs this TCP port between our UDP bind and our TCP listen.
    return {
      start: async () => {
        const b = createServer();
        blockers.push(b);
        await new Promise<void>((resolve) => b.listen(port, address, () => resolve()));
        return real.start();
      },
      close: () => real.close(),
    };
  };
  const pair = await startPair('127.0.0.1', (a, p) => new UdpServer(handler, { address: a, port: p }), newTcp, 5);
  t.teardown(() => Promise.all([pair.udp.close(), pair.tcp.close()]));
  t.equal(tried.length, 3, 'two collisions, third attempt succeeded');
  t.equal(pair.port, tried[2]);
  const c = new TcpTestClient(pair.port);
  t.teardown(() => c.destroy());
  await c.connected;
  await c.write(frame(query(3)));
  await c.waitFor(1);
  t.same(c.ids(), [3], 'tcp serving on the UDP port number');

  collisions = 10;
  const err = await startPair('127.0.0.1', (a, p) => new UdpServer(handler, { address: a, port: p }), newTcp, 2).then(() => null, (e: unknown) => e);
  t.type(err, ListenError, 'gives up after the attempts with the last EADDRINUSE');
  t.equal((err as ListenError).code, 'HZ_ERR_LISTEN');
  t.equal((err as ListenError).errno, 'EADDRINUSE');
});

t.test('a TCP port taken on a fixed-port spec is fatal and the UDP socket is released', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
  t.teardown(() => blocker.close());
  const taken = (blocker.address() as { port: number }).port;
  const err = await startListeners([{ address: '127.0.0.1', port: taken, protocols: ['udp', 'tcp'] }], new TestHandler()).then(
    () => null,
    (e: unknown) => e,
  );
  t.type(err, ListenError);
  t.match((err as ListenError).message, `tcp: cannot listen on 127.0.0.1:${taken}`);
  const probe = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.bind(taken, '127.0.0.1', () => resolve());
  });
  probe.close();
  t.pass('udp port released after the fatal error');
});

t.test('a fatal error on a later spec closes everything already started', async (t) => {
  const handler = new TestHandler();
  const first = await startListeners([{ address: '127.0.0.1', port: 0, protocols: ['udp', 'tcp'] }], handler);
  t.teardown(() => first.close());
  const inUse = first.bound()[0]!.port;
  const started: number[] = [];
  const logger = { error() {}, warn() {}, debug() {}, info: (o: object) => void ('port' in o && started.push(o.port as number)) };
  const err = await startListeners(
    [
      { address: '127.0.0.1', port: 0, protocols: ['udp', 'tcp'] },
      { address: '127.0.0.1', port: inUse, protocols: ['udp'] },
    ],
    handler,
    { logger },
  ).then(() => null, (e: unknown) => e);
  t.type(err, ListenError);
  t.equal((err as ListenError).code, 'HZ_ERR_LISTEN');
  t.equal((err as ListenError).errno, 'EADDRINUSE');
  t.equal((err as ListenError).protocol, 'udp');
  t.equal(started.length, 2, 'the first spec had started (udp + tcp)');
  const port = started[0]!;
  const s = createServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve());
  });
  s.close();
  const u = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    u.once('error', reject);
    u.bind(port, '127.0.0.1', () => resolve());
  });
  u.close();
  t.pass('its ports were released');
});

t.test('close({graceMs}) closes every listener', async (t) => {
  const handler = new TestHandler();
  handler.delayFor = () => 100;
  const l = await startListeners([{ address: '127.0.0.1', port: 0, protocols: ['udp', 'tcp'] }], handler);
  const port = l.bound()[0]!.port;
  const c = new TcpTestClient(port);
  t.teardown(() => c.destroy());
  await c.connected;
  await c.write(frame(query(5)));
  await sleep(20);
  await l.close({ graceMs: 2000 });
  t.same(c.ids(), [5], 'in-flight TCP answer delivered during close');
  // Both ports are free again.
  const s = createServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve());
  });
  s.close();
  const u = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    u.once('error', reject);
    u.bind(port, '127.0.0.1', () => resolve());
  });
  u.close();
  t.pass('ports released');
});
