import t from 'tap';
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { startDaemon, type Daemon } from '../helpers/daemon.js';
import { until } from '../helpers/transport.js';

/**
 * `server.workers: 3` run for real: a primary process, the owner worker and two query workers
 * sharing the UDP socket. Checked the way an operator would: answers (from every worker, with
 * the owner frozen), dynamic updates sent with nsupdate seen by every worker as soon as
 * nsupdate returns, one /metrics for all, SIGHUP reloads, a killed worker replaced, SIGTERM
 * stopping everything.
 */

const KEY = 'fjku5gwTzpzeoWFWAHF5VaFp8iMpR14Y8/STl8bbnmY=';

const CONFIG = `server:
  listen:
    - { address: 127.0.0.1, port: 0 }
  workers: 3
  dataDir: data
log: { level: info }
metrics: { enabled: true, listen: "127.0.0.1:0" }
keys:
  - { name: kea-ddns., algorithm: hmac-sha256, secret: "${KEY}" }
zones:
  - name: home.lan.
    file: zones/home.lan.zone
    update: { preset: kea, keys: [kea-ddns.], networks: [127.0.0.0/8] }
  - { name: 1.168.192.in-addr.arpa., file: zones/1.168.192.in-addr.arpa.zone }
`;

/** One A query per fresh socket (each may land on any worker); the addresses answered. */
async function ask(port: number, name: string, id: number): Promise<string[]> {
  const s = createSocket('udp4');
  try {
    return await new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer for ${name}`)), 3000);
      s.on('message', (m) => {
        clearTimeout(timer);
        const d = dnsPacket.decode(m);
        resolve((d.answers ?? []).flatMap((a) => (a.type === 'A' ? [a.data] : [])));
      });
      s.send(dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: 'A' }] }), port, '127.0.0.1');
    });
  } finally {
    s.close();
  }
}

function nsupdate(port: number, script: string): Promise<string> {
  return new Promise((resolve) => {
    const p = execFile('nsupdate', ['-y', `hmac-sha256:kea-ddns.:${KEY}`], { timeout: 20_000 }, (_e, out, err) => resolve(out + err));
    p.stdin!.end(`server 127.0.0.1 ${port}\nzone home.lan.\n${script}`);
  });
}

async function metrics(d: Daemon): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${d.metrics!.port}/metrics`);
  return res.text();
}

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

t.test('three workers: shared UDP, updates everywhere, one /metrics, reload, restart, stop', async (t) => {
  const d = await startDaemon({ config: CONFIG, copyZones: true });
  let stopped = false;
  t.teardown(async () => { if (!stopped) await d.stop('SIGKILL'); });
  const primary = await d.waitLog((r) => r.msg === 'ready' && Array.isArray(r.workers));
  const workers = primary.workers as { id: number; pid: number; role: string }[];
  t.same(workers.map((w) => w.role).sort(), ['owner', 'query', 'query'], 'one owner and two query workers');
  const owner = workers.find((w) => w.role === 'owner')!;
  const port = d.port;
  let asked = 0;

  t.same(await ask(port, 'host1.home.lan', 1), ['192.168.1.10']);
  asked++;

  // Every update is acknowledged only once every worker serves it.
  const out = await nsupdate(port, Array.from({ length: 10 }, (_, i) => `update add kea${i}.home.lan. 300 A 192.168.1.${150 + i}\nsend\n`).join(''));
  t.notMatch(out, /failed|REFUSED|SERVFAIL/, 'nsupdate reports no failure');
  // Freeze the owner: what answers now is the query workers, from the shared socket.
  process.kill(owner.pid, 'SIGSTOP');
  try {
    const wrong: string[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 10; i++) {
        const got = await ask(port, `kea${i}.home.lan`, 100 + round * 10 + i);
        asked++;
        if (got.join() !== `192.168.1.${150 + i}`) wrong.push(`kea${i}: ${got.join() || 'nothing'}`);
      }
    }
    t.same(wrong, [], 'the query workers answer every updated name while the owner is stopped');
  } finally {
    process.kill(owner.pid, 'SIGCONT');
  }

  // One scrape covers every worker: counters summed, zone serials once.
  const m = await metrics(d);
  t.equal(sample(m, 'horizond_dns_queries_total{qtype="A"}'), asked, 'every A query counted once, whichever worker answered');
  t.equal(sample(m, 'horizond_updates_total{zone="home.lan.",result="noerror"}'), 10, 'the relayed updates counted once');
  t.equal(sample(m, 'horizond_zone_serial{zone="home.lan."}'), 2024060111, 'the serial as served, not a sum over workers');
  t.equal(m.split('\n').filter((l) => l.startsWith('horizond_build_info{')).length, 1);

  // SIGHUP to the primary: the owner reloads, then the query workers.
  const zoneFile = join(d.dir, 'zones', 'home.lan.zone');
  writeFileSync(zoneFile, readFileSync(zoneFile, 'utf8').replace('2024060101 ; serial', '2024060201 ; serial') + 'reloaded IN A 192.168.1.77\n');
  d.proc.kill('SIGHUP');
  await until(() => d.logs.filter((r) => r.msg === 'reloaded').length >= 3, 8000, 'three workers reloaded');
  for (let i = 0; i < 12; i++) t.same(await ask(port, 'reloaded.home.lan', 200 + i), ['192.168.1.77'], `reloaded name, query ${i}`);
  t.same(await ask(port, 'kea3.home.lan', 300), ['192.168.1.153'], 'dynamic data kept over the reload');

  // A query worker that dies is replaced.
  const victim = workers.find((w) => w.role === 'query')!;
  process.kill(victim.pid, 'SIGKILL');
  await d.waitLog((r) => r.msg === 'query worker serving again', 10_000);
  for (let i = 0; i < 6; i++) t.same(await ask(port, 'host1.home.lan', 400 + i), ['192.168.1.10']);

  const pids = [...workers.map((w) => w.pid), ...d.logs.filter((r) => r.msg === 'query worker serving again').map((r) => r.pid as number)];
  stopped = true;
  t.equal(await d.stop('SIGTERM'), 0, 'SIGTERM: the primary exits 0');
  await until(() => pids.every((p) => !alive(p)), 5000, 'every worker gone');
  t.pass('no worker outlives the primary');
});
