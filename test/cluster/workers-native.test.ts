// server.workers with the native UDP backend: each worker binds its own SO_REUSEPORT socket on
// the port and the kernel spreads clients over them (no socket shared through the primary).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import dnsPacket from 'dns-packet';
import { startDaemon } from '../helpers/daemon.js';
import { freePort } from '../helpers/ports.js';
import { nativeUdp, until } from '../helpers/transport.js';

/** UDP sockets bound to 127.0.0.1:port, from /proc/net/udp (local address column, hex). */
function socketsOn(port: number): number {
  const want = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/udp', 'utf8').split('\n').filter((l) => l.trim().split(/\s+/)[1] === want).length;
}

/** One A query from a fresh socket (a new source port: the kernel may pick any worker). */
async function ask(port: number, name: string, id: number): Promise<string[]> {
  const s = createSocket('udp4');
  try {
    return await new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer for ${name}`)), 3000);
      s.on('message', (m) => {
        clearTimeout(timer);
        resolve((dnsPacket.decode(m).answers ?? []).flatMap((a) => (a.type === 'A' ? [a.data] : [])));
      });
      s.send(dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: 'A' }] }), port, '127.0.0.1');
    });
  } finally {
    s.close();
  }
}

t.test('two workers on the native backend: one reuseport socket each, every query answered, counted once', { skip: nativeUdp === null ? 'addon not built here' : false }, async (t) => {
  const port = await freePort();
  const d = await startDaemon({
    copyZones: true,
    config: `server:
  listen:
    - { address: 127.0.0.1, port: ${port} }
  workers: 2
  udp: { backend: native }
  dataDir: data
log: { level: info }
metrics: { enabled: true, listen: "127.0.0.1:0" }
zones:
  - { name: home.lan., file: zones/home.lan.zone }
`,
  });
  t.teardown(() => d.stop());
  await d.waitLog((r) => r['msg'] === 'ready' && Array.isArray(r['workers']));
  // Each process writes its own lines: a worker's may come after the primary's.
  const workerReady = () => d.logs.filter((r) => r['msg'] === 'ready' && Array.isArray(r['listeners']));
  await until(() => workerReady().length === 2, 10_000, 'both workers ready');
  const readies = workerReady();
  t.equal(readies.length, 2, 'both workers ready');
  t.same(readies.map((r) => r['udpBackend']), ['native', 'native'], 'both on the native backend');
  t.equal(socketsOn(port), 2, 'two UDP sockets on the port (one per worker)');

  const n = 40;
  const wrong: string[] = [];
  for (let i = 0; i < n; i++) {
    const got = await ask(port, 'host1.home.lan', i);
    if (got.join() !== '192.168.1.10') wrong.push(`${i}: ${got.join() || 'nothing'}`);
  }
  t.same(wrong, [], `${n} queries from fresh sockets answered`);
  const text = await (await fetch(`http://127.0.0.1:${d.metrics!.port}/metrics`)).text();
  const received = text.split('\n').find((l) => l.startsWith(`horizond_transport_received_total{protocol="udp",listener="127.0.0.1:${port}"}`));
  t.equal(Number(received?.split(' ')[1]), n, 'the scrape sums both workers: every query once');
  t.match(text, /horizond_udp_backend_info\{backend="native"\} 1/);
});
