import t from 'tap';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { startDaemon, type Daemon } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { frame, TcpTestClient } from '../helpers/transport.js';

/**
 * Live reload of the daemon: editing a zone file or the config file reloads it by itself (an
 * editor's rename-replace included), an open TCP connection keeps working across reloads, an
 * invalid config is refused with a file:line:col log line and a metric, and SIGHUP reloads too.
 */

const CONFIG = `server:
  listen:
    - { address: 127.0.0.1, port: 0 }
  tcp: { idleTimeout: 60s }                # only a reload could close the test's connection
metrics: { enabled: true, listen: "127.0.0.1:0" }
zones:
  - { name: home.lan., file: zones/home.lan.zone }
`;

function ask(id: number, name: string, type: 'A' | 'TXT' = 'A'): Buffer {
  return dnsPacket.encode({ type: 'query', id, questions: [{ type, name, class: 'IN' }] });
}

function rdata(wire: Buffer): string[] {
  return (dnsPacket.decode(wire).answers ?? []).map((a) => String((a as { data?: unknown }).data));
}

async function scrape(d: Daemon): Promise<string> {
  const ready = d.logs.find((r) => r.msg === 'ready') as { metrics: { port: number } };
  return (await fetch(`http://127.0.0.1:${ready.metrics.port}/metrics`)).text();
}

/** Reloads applied so far (one "reloaded" log line each). */
const applied = (d: Daemon): number => d.logs.filter((r) => r.msg === 'reloaded').length;

t.test('file changes reload the daemon without dropping an open TCP connection', async (t) => {
  const d = await startDaemon({ config: CONFIG, copyZones: true });
  t.teardown(() => d.stop());
  const zoneFile = join(d.dir, 'zones', 'home.lan.zone');
  const tcp = new TcpTestClient(d.port);
  t.teardown(() => tcp.destroy());
  await tcp.connected;
  await tcp.write(frame(ask(1, 'host1.home.lan')));
  t.same(rdata((await tcp.waitFor(1))[0]!), ['192.168.1.10']);

  // 1. An editor saves the zone: write a temp file, rename it over the original.
  const zone = readFileSync(zoneFile, 'utf8').replace('2024060101 ; serial', '2024060102 ; serial') + 'added IN A 192.168.1.99\n';
  writeFileSync(zoneFile + '.tmp', zone);
  renameSync(zoneFile + '.tmp', zoneFile);
  await d.waitLog((r) => r.msg === 'reloaded');
  await tcp.write(frame(ask(2, 'added.home.lan')));
  t.same(rdata((await tcp.waitFor(2))[1]!), ['192.168.1.99'], 'the same connection sees the new record');
  t.equal((await dig('127.0.0.1', d.port, 'added.home.lan', 'A')).answer.length, 1, 'and so does UDP');

  // 2. A broken config is refused: logged with its position, counted, the old config serves.
  const configFile = join(d.dir, 'horizond.yaml');
  const good = readFileSync(configFile, 'utf8');
  writeFileSync(configFile, good.replace('zones:', 'zones:\n  - { name: bad.lan., file: missing.zone }'));
  const refused = await d.waitLog((r) => r.result === 'error');
  t.match(refused.msg, /reload refused, the running configuration stays: .*horizond\.yaml:\d+:\d+: .*missing\.zone/);
  let m = await scrape(d);
  t.match(m, /^horizond_config_reloads_total\{result="error"\} 1$/m);
  t.match(m, /^horizond_config_last_reload_successful 0$/m);
  await tcp.write(frame(ask(3, 'added.home.lan')));
  t.same(rdata((await tcp.waitFor(3))[2]!), ['192.168.1.99'], 'still serving the last good configuration');

  // 3. Fixing the config reloads again; 4. SIGHUP reloads too.
  writeFileSync(configFile, good);
  await d.waitLog(() => applied(d) === 2);
  d.proc.kill('SIGHUP');
  await d.waitLog(() => applied(d) === 3);
  m = await scrape(d);
  t.match(m, /^horizond_config_reloads_total\{result="ok"\} 3$/m);
  t.match(m, /^horizond_config_last_reload_successful 1$/m);
  t.match(m, /^horizond_zone_serial\{zone="home\.lan\."\} 2024060102$/m);

  await tcp.write(frame(ask(4, 'host1.home.lan')));
  t.same(rdata((await tcp.waitFor(4))[3]!), ['192.168.1.10']);
  t.equal(tcp.socket.destroyed, false, 'one TCP connection served all four queries across three reloads');
});
