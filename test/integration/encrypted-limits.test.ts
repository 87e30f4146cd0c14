import t from 'tap';
import { connect as netConnect, type Socket } from 'node:net';
import { startDaemon } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { DotTestClient, makeCert, tempDir } from '../helpers/tls.js';
import { frame, query } from '../helpers/transport.js';

/**
 * A hostile crowd on the encrypted listeners cannot starve UDP: 1,000 idle connections on the
 * DoT port (500 that never start their handshake, 500 that finished it and send nothing) and
 * 200 on the DoH port, while dig over UDP keeps answering, each with one try and a 2 s limit.
 * Every loop is bounded in count; nothing depends on speed beyond dig's own timeout.
 */

const RAW = 500;
const TLS = 500;
const DOH_RAW = 200;

t.test('1,000 idle TLS connections do not starve UDP; the caps close the rest at accept', async (t) => {
  const dir = tempDir(t);
  const cert = makeCert(dir);
  const d = await startDaemon({
    config: `server:
  listen:
    - { address: 127.0.0.1, port: 0, protocols: [udp, tcp] }
    - { address: 127.0.0.1, port: 0, protocols: [tls] }
    - { address: 127.0.0.1, port: 0, protocols: [https] }
  tls: { certFile: ${cert.certFile}, keyFile: ${cert.keyFile}, handshakeTimeout: 5m, idleTimeout: 10m, maxConnections: 1000, maxHandshakes: ${RAW} }
  tcp: { maxConnectionsPerClient: 2000 }   # every test client is 127.0.0.1
metrics: { enabled: true, listen: "127.0.0.1:0" }
zones:
  - { name: home.lan., file: zones/home.lan.zone }
`,
    copyZones: true,
  });
  t.teardown(() => d.stop());
  const port = (p: string) => d.bound.find((b) => b.protocol === p)!.port;
  const scrape = async (series: string): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${d.metrics!.port}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(series + ' '));
    return line === undefined ? NaN : Number(line.slice(series.length + 1));
  };
  const sockets: Socket[] = [];
  const clients: DotTestClient[] = [];
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    for (const c of clients) c.destroy();
  });
  const dot = `listener="127.0.0.1:${port('tls')}"`;

  // 500 finished handshakes that then say nothing, 50 at a time.
  for (let i = 0; i < TLS; i += 50) {
    const batch = Array.from({ length: 50 }, () => new DotTestClient(port('tls')));
    clients.push(...batch);
    await Promise.all(batch.map((c) => c.secure));
  }
  // 500 connections that never send a ClientHello (they would wait for the 5 minute timeout).
  for (let i = 0; i < RAW; i++) {
    const s = netConnect(port('tls'), '127.0.0.1');
    s.on('error', () => {});
    sockets.push(s);
  }
  // 200 on the DoH port too.
  for (let i = 0; i < DOH_RAW; i++) {
    const s = netConnect(port('https'), '127.0.0.1');
    s.on('error', () => {});
    sockets.push(s);
  }
  const handshaking = `horizond_tls_connections_handshaking{protocol="dot",${dot}}`;
  const active = `horizond_tls_connections_active{protocol="dot",${dot}}`;
  for (let i = 0; i < 100 && ((await scrape(handshaking)) !== RAW || (await scrape(active)) !== TLS); i++) await new Promise((r) => setTimeout(r, 100));
  t.equal(await scrape(handshaking), RAW, '500 handshakes held open');
  t.equal(await scrape(active), TLS, '500 idle TLS connections');

  // UDP answers while they sit there: 30 queries, one try each, 2 s limit each.
  let answered = 0;
  for (let i = 0; i < 30; i++) {
    const r = await dig('127.0.0.1', port('udp'), 'host1.home.lan', 'A', ['+time=2', '+tries=1']);
    if (r.answer[0] === 'host1.home.lan. 3600 IN A 192.168.1.10') answered++;
  }
  t.equal(answered, 30, 'every UDP query answered on its first try within 2 s');

  // The listener is full (1,000 = maxConnections): a new TLS client is closed at accept...
  const refused = new DotTestClient(port('tls'));
  clients.push(refused);
  await t.rejects(refused.secure, 'closed at accept at maxConnections');
  t.ok((await scrape(`horizond_tls_connections_rejected_total{protocol="dot",${dot}}`)) >= 1, 'counted');
  // ...and the connections already established still answer.
  const one = clients[0]!;
  await one.write(frame(query(0xabcd, 'host1.home.lan')));
  await one.waitFor(1);
  t.equal(one.ids()[0], 0xabcd, 'an established idle connection still answers');
  // Giving the raw ones up frees their slots at once.
  for (const s of sockets) s.destroy();
  for (let i = 0; i < 100 && (await scrape(handshaking)) !== 0; i++) await new Promise((r) => setTimeout(r, 100));
  t.equal(await scrape(handshaking), 0, 'slots freed as the clients hang up');
  const again = new DotTestClient(port('tls'));
  clients.push(again);
  await again.secure;
  t.pass('a new client gets in');
});
