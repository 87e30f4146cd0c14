import t, { type Test } from 'tap';
import { connect as netConnect, type Socket } from 'node:net';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { TransportKind } from '../../src/pipeline/context.js';
import { CertificateStore } from '../../src/transport/certificates.js';
import { DotServer, type DotServerOptions } from '../../src/transport/dot-server.js';
import { frame, query, TestHandler, until } from '../helpers/transport.js';
import { DotTestClient, fingerprint, makeCert, tempDir } from '../helpers/tls.js';

async function startDot(t: Test, handler: TestHandler, extra: Partial<DotServerOptions> = {}) {
  const dir = tempDir(t);
  const cert = makeCert(dir);
  const certificates = new CertificateStore(cert.certFile, cert.keyFile);
  const server = new DotServer(handler, { address: '127.0.0.1', port: 0, certificates, ...extra });
  const { port } = await server.start();
  t.teardown(() => server.close());
  return { server, port, dir, cert, certificates };
}

function client(t: Test, port: number, opts = {}): DotTestClient {
  const c = new DotTestClient(port, opts);
  t.teardown(() => c.destroy());
  return c;
}

t.test('pipelined queries over TLS are answered out of order, as over TCP, marked dot', async (t) => {
  const handler = new TestHandler();
  const delays: Record<number, number> = { 1: 150, 2: 50, 3: 0, 4: 100 };
  handler.delayFor = (id) => delays[id] ?? 0;
  const { server, port, cert } = await startDot(t, handler);
  const c = client(t, port, { ca: cert.pem, rejectUnauthorized: true });
  await c.secure;
  await c.write(Buffer.concat([1, 2, 3, 4].map((id) => frame(query(id, `q${id}.example`)))));
  await c.waitFor(4);
  t.same(c.ids(), [3, 2, 4, 1], 'fastest first');
  for (const r of c.responses) {
    const m = dnsPacket.decode(r);
    t.equal(m.questions?.[0]?.name, `q${m.id}.example`, `answer ${m.id} carries its own question`);
  }
  t.same(handler.seen.map((s) => s.transport), [2, 2, 2, 2].map(() => TransportKind.Dot));
  t.equal(handler.seen[0]!.address, '127.0.0.1', 'the TLS peer is the client');
  t.match(server.counters, { accepted: 1, received: 4, sent: 4 });
  t.match(server.guard.counters, { handshakes: 1, established: 1, handshaking: 0 });
});

t.test('a handshake that never starts is cut at the handshake timeout', async (t) => {
  const handler = new TestHandler();
  const { server, port } = await startDot(t, handler, { tls: { handshakeTimeoutMs: 200 } });
  const raw = netConnect(port, '127.0.0.1');
  raw.on('error', () => {});
  t.teardown(() => raw.destroy());
  const closed = new Promise((r) => raw.once('close', r));
  await until(() => server.guard.counters.handshaking === 1, 5000, 'the handshake to be pending');
  await closed;
  await until(() => server.guard.counters.handshaking === 0, 5000, 'the pending handshake to go');
  t.equal(server.guard.counters.handshakeTimeouts, 1);
  t.equal(server.guard.counters.handshakeFailures, 1);
  t.equal(server.counters.accepted, 0, 'never became a DNS connection');
});

t.test('maxHandshakes and maxConnections close new connections at accept', async (t) => {
  const handler = new TestHandler();
  const { server, port } = await startDot(t, handler, { tls: { maxHandshakes: 3, maxConnections: 5, handshakeTimeoutMs: 60_000 } });
  const raws: Socket[] = [];
  t.teardown(() => { for (const r of raws) r.destroy(); });
  for (let i = 0; i < 5; i++) {
    const r = netConnect(port, '127.0.0.1');
    r.on('error', () => {});
    raws.push(r);
  }
  await until(() => server.guard.counters.handshaking === 3 && server.guard.counters.rejected === 2, 5000, '3 pending, 2 rejected');
  // The pending handshakes hold their slots; a real client cannot get in until one goes.
  const refused = client(t, port);
  await t.rejects(refused.secure, 'closed at accept while 3 handshakes are pending');
  for (const r of raws) r.destroy(); // a client that gives up mid-handshake frees its slot at once
  await until(() => server.guard.counters.handshaking === 0, 5000, 'the slots to free up');
  const ok = client(t, port);
  await ok.secure;
  await ok.write(frame(query(7)));
  await ok.waitFor(1);
  t.equal(ok.ids()[0], 7);
  t.equal(server.guard.counters.rejected, 3);
});

t.test('an idle DoT connection is closed after the idle timeout', async (t) => {
  const handler = new TestHandler();
  const { server, port } = await startDot(t, handler, { idleTimeoutMs: 200 });
  const c = client(t, port);
  await c.secure;
  await c.write(frame(query(1)));
  await c.waitFor(1);
  await c.closed;
  t.equal(server.counters.idleClosed, 1);
});

t.test('session tickets resume the session on the next connection', async (t) => {
  const handler = new TestHandler();
  const { server, port } = await startDot(t, handler);
  // TLS 1.2 hands the ticket over in the handshake; TLS 1.3 sends it after (the 'session' event).
  const first = client(t, port, { maxVersion: 'TLSv1.3' });
  const session = await new Promise<Buffer>((resolve) => first.socket.once('session', resolve));
  await first.secure;
  t.notOk(first.socket.isSessionReused());
  const second = client(t, port, { session });
  await second.secure;
  t.ok(second.socket.isSessionReused(), 'resumed from the ticket');
  await second.write(frame(query(9)));
  await second.waitFor(1);
  t.equal(server.guard.counters.resumed, 1);
});

t.test('sessionTickets: false does not resume', async (t) => {
  const handler = new TestHandler();
  const { port } = await startDot(t, handler, { tls: { sessionTickets: false } });
  const first = client(t, port, { maxVersion: 'TLSv1.2' });
  await first.secure;
  const session = first.socket.getSession();
  const second = client(t, port, { maxVersion: 'TLSv1.2', ...(session ? { session } : {}) });
  await second.secure;
  t.notOk(second.socket.isSessionReused());
});

t.test('a reloaded certificate is served to the next connection; open ones keep theirs', async (t) => {
  const handler = new TestHandler();
  const { port, dir, cert, certificates } = await startDot(t, handler);
  const before = client(t, port);
  await before.secure;
  t.equal(before.socket.getPeerX509Certificate()!.fingerprint256, fingerprint(cert.certFile));
  const next = makeCert(dir, 'next', 'renewed.test');
  copyFileSync(next.certFile, join(dir, 'tls.crt'));
  copyFileSync(next.keyFile, join(dir, 'tls.key'));
  t.ok(certificates.reload());
  const after = client(t, port);
  await after.secure;
  t.equal(after.socket.getPeerX509Certificate()!.fingerprint256, fingerprint(next.certFile), 'new certificate');
  await before.write(frame(query(3)));
  await before.waitFor(1);
  t.equal(before.ids()[0], 3, 'the connection opened before the reload still answers');
});

t.test('a client that half-closes after its queries still gets the answers (RFC 7766 §6.2.2)', async (t) => {
  const handler = new TestHandler();
  handler.delayFor = () => 50;
  const { port } = await startDot(t, handler);
  const c = client(t, port);
  await c.secure;
  c.socket.end(Buffer.concat([frame(query(21)), frame(query(22))]));
  await c.waitFor(2);
  t.same(c.ids().sort(), [21, 22]);
  await c.closed;
});
