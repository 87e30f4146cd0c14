import t from 'tap';
import { createSocket } from 'node:dgram';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { startDaemon, exampleConfig, type Daemon } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';

/**
 * The SQLite sink on a disk that fills up or is read-only: the daemon runs in a private mount
 * namespace whose query-log directory is a small tmpfs (nothing is mounted for anyone else).
 */

function config(file: string): string {
  return exampleConfig(`queryLog: { sinks: [ { type: sqlite, file: ${file} } ] }\n`)
    .replace('metrics: { enabled: false }', 'metrics: { enabled: true, listen: "127.0.0.1:0" }');
}

async function scrape(d: Daemon): Promise<string> {
  const res = await fetch(`http://${d.metrics!.address}:${d.metrics!.port}/metrics`);
  return res.text();
}

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

/** Sends `n` distinct questions, at most 64 outstanding, and counts the answers (bounded in count and time). */
async function load(port: number, n: number): Promise<number> {
  const sock = createSocket('udp4');
  let answered = 0;
  let sent = 0;
  const deadline = Date.now() + 60_000;
  await new Promise<void>((resolve) => {
    const next = (): void => {
      while (sent < n && sent - answered < 64 && Date.now() < deadline) {
        const name = `load-${sent}-with-a-longer-label-to-fill-the-disk.home.lan`;
        sock.send(dnsPacket.encode({ type: 'query', id: sent & 0xffff, questions: [{ type: 'A', name, class: 'IN' }] }), port, '127.0.0.1');
        sent++;
      }
      if (answered >= n || Date.now() >= deadline) resolve();
    };
    sock.on('message', () => { answered++; next(); });
    const timer = setInterval(() => { if (sent - answered >= 64) answered = sent - 32; next(); }, 200); // losses do not stall the loop
    next();
    void new Promise<void>((r) => setTimeout(r, 60_000)).then(() => resolve());
    sock.once('close', () => clearInterval(timer));
  });
  sock.close();
  return answered;
}

function mounted(mountDir: string, ro: boolean): string[] {
  const remount = ro ? ` && mount -o remount,ro "$0"` : '';
  return ['unshare', '-m', 'sh', '-c', `mount -t tmpfs -o size=1m tmpfs "$0"${remount} && exec "$@"`, mountDir];
}

t.test('a full disk: the sink goes down with a clear warning and a metric, DNS keeps answering', async (t) => {
  const dir = t.testdir();
  mkdirSync(join(dir, 'qlog'));
  const d = await startDaemon({
    config: config(join(dir, 'qlog', 'q.sqlite')),
    copyZones: true,
    wrap: mounted(join(dir, 'qlog'), false),
  });
  t.teardown(() => d.stop());
  const warn = d.waitLog((r) => r.component === 'querylog' && r.level === 'warn' && /full/.test(String(r.msg)), 120_000);
  let answered = 0;
  for (let round = 0; round < 6 && !d.logs.some((r) => r.component === 'querylog' && r.level === 'warn'); round++) {
    answered += await load(d.port, 10_000);
  }
  const w = await warn;
  t.match(w.msg, /sqlite: the disk holding .*q\.sqlite is full/);
  t.ok(answered > 0);
  const m = await scrape(d);
  t.ok((sample(m, 'horizond_query_log_sink_errors_total{sink="sqlite"}') ?? 0) >= 1, 'counted');
  t.equal((await dig('127.0.0.1', d.port, 'nas.home.lan', 'A')).status, 'NOERROR', 'DNS keeps answering');
});

t.test('a read-only file system: a clear message, the sink down, DNS keeps answering', async (t) => {
  const dir = t.testdir();
  mkdirSync(join(dir, 'qlog'));
  const d = await startDaemon({
    config: config(join(dir, 'qlog', 'q.sqlite')),
    copyZones: true,
    wrap: mounted(join(dir, 'qlog'), true),
  });
  t.teardown(() => d.stop());
  const w = await d.waitLog((r) => r.component === 'querylog' && r.level === 'warn', 30_000);
  t.match(w.msg, /sqlite: .*q\.sqlite is on a read-only file system/);
  t.equal((await dig('127.0.0.1', d.port, 'nas.home.lan', 'A')).status, 'NOERROR', 'DNS keeps answering');
  const m = await scrape(d);
  t.equal(sample(m, 'horizond_query_log_sink_up{sink="sqlite"}'), 0);
  t.ok((sample(m, 'horizond_query_log_sink_errors_total{sink="sqlite"}') ?? 0) >= 1);
});
