import t from 'tap';
import { createSocket } from 'node:dgram';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { createLogger } from '../../src/observability/log.js';
import { FileWatcher, watchedFiles } from '../../src/reload/watch.js';
import { Server } from '../../src/server.js';
import { ROOT } from '../helpers/daemon.js';
import { frame, sleep, TcpTestClient, until } from '../helpers/transport.js';

/**
 * A reload swaps the pipeline behind the listeners: an open TCP connection keeps working and
 * sees the new data, and UDP queries sent while the reload runs all get answers.
 */

const CONFIG = `server:
  listen: [ { address: 127.0.0.1, port: 0 } ]
zones:
  - { name: home.lan., file: zones/home.lan.zone }
`;

function ask(id: number, name: string): Buffer {
  return dnsPacket.encode({ type: 'query', id, questions: [{ type: 'A', name, class: 'IN' }] });
}

function addresses(wire: Buffer): string[] {
  return (dnsPacket.decode(wire).answers ?? []).filter((a) => a.type === 'A').map((a) => String((a as { data?: unknown }).data));
}

t.test('reload keeps TCP connections and UDP traffic, and refuses a bad config', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'horizond-reload-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(ROOT, 'zones'), join(dir, 'zones'), { recursive: true });
  const configFile = join(dir, 'horizond.yaml');
  writeFileSync(configFile, CONFIG);
  const server = await Server.create(configFile, { log: createLogger('silent') });
  t.teardown(() => server.stop(0));
  const port = (await server.listen()).bound()[0]!.port;

  const reloads: boolean[] = [];
  const watcher = new FileWatcher({
    files: () => watchedFiles(server.config),
    debounceMs: 100,
    onChange: async () => { reloads.push(await server.reload()); },
  });
  t.teardown(() => watcher.close());

  const tcp = new TcpTestClient(port);
  t.teardown(() => tcp.destroy());
  await tcp.connected;
  await tcp.write(frame(ask(1, 'host1.home.lan')));
  t.same(addresses((await tcp.waitFor(1))[0]!), ['192.168.1.10']);

  // UDP queries keep flowing while the zone file changes and the server reloads.
  const udp = createSocket('udp4');
  t.teardown(() => udp.close());
  const answered = new Set<number>();
  udp.on('message', (m) => answered.add(m.readUInt16BE(0)));
  let sent = 0;
  const flow = setInterval(() => { udp.send(ask(++sent, 'router.home.lan'), port, '127.0.0.1'); }, 5);
  t.teardown(() => clearInterval(flow));

  const zoneFile = join(dir, 'zones', 'home.lan.zone');
  const zone = readFileSync(zoneFile, 'utf8')
    .replace('2024060101 ; serial', '2024060102 ; serial')
    .replace(/^host1(\s+)IN(\s+)A(\s+)192\.168\.1\.10$/m, 'host1$1IN$2A$3192.168.1.11');
  t.not(zone, readFileSync(zoneFile, 'utf8'), 'the fixture edit applies');
  writeFileSync(zoneFile, zone);
  await until(() => reloads.length === 1, 5000, 'the watcher-driven reload');
  t.same(reloads, [true]);
  t.equal(server.runtime.zones.get('home.lan.')?.serial, 2024060102);

  await tcp.write(frame(ask(2, 'host1.home.lan')));
  const after = await tcp.waitFor(2);
  t.equal(after[1]!.readUInt16BE(0), 2);
  t.same(addresses(after[1]!), ['192.168.1.11'], 'the same TCP connection sees the new zone');

  // A broken config is refused; the running one keeps answering on the same connection.
  writeFileSync(configFile, CONFIG + 'bogus: true\n');
  await until(() => reloads.length === 2, 5000, 'the refused reload');
  t.same(reloads, [true, false]);
  t.equal(server.reloads.error, 1);
  await tcp.write(frame(ask(3, 'host1.home.lan')));
  t.same(addresses((await tcp.waitFor(3))[2]!), ['192.168.1.11']);

  await until(() => sent > 20, 5000, 'a steady flow of queries'); // unchanged zones reload fast now
  clearInterval(flow);
  await sleep(200);
  t.ok(sent > 20, `${sent} UDP queries sent during the reloads`);
  t.equal(answered.size, sent, 'every UDP query got an answer');
  t.equal(tcp.socket.destroyed, false, 'the TCP connection is still open');
});
