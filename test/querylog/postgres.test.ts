import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSocket } from 'node:dgram';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import dnsPacket from 'dns-packet';
import { startPostgres, type Postgres } from '../helpers/postgres.js';
import { MAIN, ROOT, startDaemon, exampleConfig, type Daemon } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';

/**
 * The postgres sink against a real PostgreSQL 15 started here: rows arrive by COPY, the server
 * killed under a bounded load never stops the answers, drops are counted, rows flow again after
 * it returns; a wrong password and a newer schema are clear messages with DNS answering.
 */

const run = promisify(execFile);

function config(pg: Postgres, extra = ''): string {
  return exampleConfig(`queryLog:
  queueSize: 5000
  sinks:
    - { type: postgres, url: "${pg.url}", passwordFile: ${pg.passwordFile}, flushInterval: 200ms${extra} }
`).replace('metrics: { enabled: false }', 'metrics: { enabled: true, listen: "127.0.0.1:0" }');
}

async function metric(d: Daemon, series: string): Promise<number | undefined> {
  const text = await (await fetch(`http://${d.metrics!.address}:${d.metrics!.port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

async function waitFor(what: string, cond: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sends `n` questions named `<prefix>-<i>.home.lan`, at most 64 outstanding; returns how many were answered. */
async function load(port: number, prefix: string, n: number): Promise<number> {
  const sock = createSocket('udp4');
  let answered = 0;
  let sent = 0;
  let lastAnswer = Date.now();
  const deadline = Date.now() + 120_000;
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (sent < n && sent - answered < 64) {
        sock.send(dnsPacket.encode({ type: 'query', id: sent & 0xffff, questions: [{ type: 'A', name: `${prefix}-${sent}.home.lan`, class: 'IN' }] }), port, '127.0.0.1');
        sent++;
      }
    };
    sock.on('message', () => { answered++; lastAnswer = Date.now(); if (answered >= n) resolve(); else pump(); });
    const timer = setInterval(() => {
      // A datagram lost on a loaded machine must not stall the loop: after 1 s of silence, go on.
      if (Date.now() - lastAnswer > 1000 && sent < n) { answered = Math.max(answered, sent - 8); pump(); }
      if (Date.now() > deadline || (sent >= n && Date.now() - lastAnswer > 2000)) resolve();
    }, 250);
    sock.once('close', () => clearInterval(timer));
    pump();
  });
  sock.close();
  return answered;
}

async function rows(pg: Postgres, prefix: string): Promise<number> {
  const r = await pg.query<{ n: string }>(`SELECT count(*)::text AS n FROM horizond_queries WHERE qname LIKE $1`, [`${prefix}-%`]);
  return Number(r.rows[0]!.n);
}

t.test('postgres: COPY, killed under load, back again, searched by the CLI', async (t) => {
  const pg = await startPostgres();
  t.teardown(() => pg.destroy());
  const d = await startDaemon({ config: config(pg), copyZones: true });
  t.teardown(() => d.stop());

  t.equal(await load(d.port, 'before', 2000), 2000, 'answers before');
  await waitFor('rows of the first load', async () => (await rows(pg, 'before')) === 2000);
  const parts = await pg.query<{ n: string }>(`SELECT count(*)::text AS n FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'horizond_queries'`);
  t.equal(Number(parts.rows[0]!.n), 4, 'day partitions: yesterday to the day after tomorrow');
  const idx = await pg.query<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE tablename = 'horizond_queries' ORDER BY 1`);
  t.same(idx.rows.map((r) => r.indexname), ['horizond_queries_client', 'horizond_queries_rname', 'horizond_queries_ts']);

  await pg.kill();
  const during = await load(d.port, 'during', 20_000);
  t.ok(during >= 19_900, `answers never stopped while PostgreSQL was down (${during} of 20000)`);
  await waitFor('the sink reported down', async () => (await metric(d, 'horizond_query_log_sink_up{sink="postgres"}')) === 0);
  const dropped = (await metric(d, 'horizond_query_log_dropped_total{sink="postgres"}')) ?? 0;
  t.ok(dropped >= 20_000 - 5000 - 10_000 - 64, `drops counted (${dropped})`);
  t.ok((await metric(d, 'horizond_query_log_sink_errors_total{sink="postgres"}'))! >= 1);
  t.equal((await dig('127.0.0.1', d.port, 'nas.home.lan', 'A')).status, 'NOERROR');

  await pg.start();
  await waitFor('the sink back up', async () => (await metric(d, 'horizond_query_log_sink_up{sink="postgres"}')) === 1, 90_000);
  t.equal(await load(d.port, 'after', 1000), 1000);
  await waitFor('rows after the restart', async () => (await rows(pg, 'after')) === 1000, 60_000);
  t.ok((await rows(pg, 'during')) > 0, 'the newest records queued while it was down were written');

  const cfg = join(d.dir, 'horizond.yaml');
  const r = await run(process.execPath, [MAIN, 'log', 'search', '--config', cfg, '--name', 'after-999.home.lan', '--match', 'exact', '--json'], { timeout: 30_000 });
  const found = JSON.parse(r.stdout).records;
  t.equal(found.length, 1);
  t.match(found[0], { client: '127.0.0.1', qname: 'after-999.home.lan.', qtype: 1, rcode: 3, source: 'authoritative', protocol: 'udp' });
  const prefix = await run(process.execPath, [MAIN, 'log', 'search', '--config', cfg, '--client', '127.0.0.0/8', '--name', 'home.lan', '--limit', '5', '--json'], { timeout: 30_000 });
  const page = JSON.parse(prefix.stdout);
  t.equal(page.records.length, 5);
  t.ok(page.next, 'more pages');
  const top = await run(process.execPath, [MAIN, 'log', 'top', '--config', cfg, '--since', '1h'], { timeout: 30_000 });
  t.match(top.stdout, /Top clients\n\s+127\.0\.0\.1/);

  // The Grafana dashboard's queries run on this table (with Grafana's macros expanded).
  const dash = JSON.parse(readFileSync(join(ROOT, 'deploy', 'grafana', 'querylog.json'), 'utf8')) as { panels: { title: string; targets: { rawSql: string }[] }[] };
  for (const p of dash.panels) {
    const sql = p.targets[0]!.rawSql
      .replaceAll('$__timeGroupAlias(ts, $__interval)', "date_trunc('minute', ts) AS time")
      .replaceAll('$__timeFilter(ts)', "ts BETWEEN now() - interval '1 hour' AND now() + interval '1 minute'")
      .replaceAll('${server:regex}', '.*');
    const res = await pg.query(sql);
    t.ok(res.rows.length > 0 || /locked|Upstream/.test(p.title), `dashboard panel "${p.title}" runs (${res.rows.length} rows)`);
  }
});

t.test('postgres: a wrong password and a newer schema are clear messages; DNS answers', async (t) => {
  const pg = await startPostgres();
  t.teardown(() => pg.destroy());
  const wrong = join(pg.dir, 'wrong');
  writeFileSync(wrong, 'not-the-password\n');
  const d = await startDaemon({ config: config(pg).replace(pg.passwordFile, wrong), copyZones: true });
  t.teardown(() => d.stop());
  const w = await d.waitLog((r) => r.component === 'querylog' && r.level === 'warn', 30_000);
  t.match(w.msg, /postgres: 127\.0\.0\.1:\d+\/postgres: login refused \(wrong password\?\)/);
  t.notMatch(JSON.stringify(w), /not-the-password/, 'the password is never logged');
  t.equal((await dig('127.0.0.1', d.port, 'nas.home.lan', 'A')).status, 'NOERROR');
  t.equal(await metric(d, 'horizond_query_log_sink_up{sink="postgres"}'), 0);

  await pg.query('CREATE TABLE newer_schema (version integer NOT NULL)');
  await pg.query('INSERT INTO newer_schema VALUES (99)');
  const d2 = await startDaemon({ config: config(pg, ', table: newer'), copyZones: true });
  t.teardown(() => d2.stop());
  const w2 = await d2.waitLog((r) => r.component === 'querylog' && r.level === 'warn', 30_000);
  t.match(w2.msg, /postgres: table newer has schema version 99, this horizond knows 1/);
  t.equal((await dig('127.0.0.1', d2.port, 'nas.home.lan', 'A')).status, 'NOERROR');
});
