import t from 'tap';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import dnsPacket from 'dns-packet';
import type { QueryLogConfig, QueryLogSinkConfig } from '../../src/config/types.js';
import { QueryLogOutput } from '../../src/querylog/output.js';
import { INSERT, clientBytes, setupDatabase } from '../../src/querylog/sqlite/schema.js';
import { AnswerSource, QueryContext, TransportKind, type ReplySink } from '../../src/pipeline/context.js';
import { until } from '../helpers/transport.js';

const noSink: ReplySink = { reply() {}, dropped() {} };
const cfg = (sink: Partial<QueryLogSinkConfig> & { file: string }, over: Partial<QueryLogConfig> = {}): QueryLogConfig => ({
  enabled: true, sampleRate: 1, views: [], file: null, retention: 7 * 86400, queueSize: 100_000, liveStats: false,
  sinks: [{ type: 'sqlite', maxSize: 1024 ** 3, ...sink } as QueryLogSinkConfig], ...over,
});

function answer(name: string, client = '192.168.1.10', addrs: string[] = ['192.168.1.20']): { ctx: QueryContext; wire: Buffer } {
  const msg = dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'A', name, class: 'IN' }] });
  const ctx = new QueryContext();
  ctx.reset(msg, client, 40000, 4, TransportKind.Udp, noSink, null, 0);
  ctx.q.parse(msg);
  ctx.source = AnswerSource.Cache;
  const wire = dnsPacket.encode({
    type: 'response', id: 1, questions: [{ type: 'A', name, class: 'IN' }],
    answers: addrs.map((data) => ({ type: 'A', name, ttl: 60, class: 'IN', data })),
  } as dnsPacket.Packet);
  return { ctx, wire };
}

function metric(out: QueryLogOutput, key: string): number | undefined {
  let v: number | undefined;
  out.metricsSource().collect({ value: (name, labels, n) => { if (`${name}${labels ? JSON.stringify(labels) : ''}` === key) v = n; }, histogram() {} });
  return v;
}

function count(file: string, where = '1'): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM queries WHERE ${where}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

t.test('records reach the file through the writer thread, with every field', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'q.sqlite');
  const out = new QueryLogOutput();
  t.teardown(() => out.close());
  const log = out.forConfig(cfg({ file }), ['default'], false)!;
  const a = answer('WWW.Example.com', '10.0.0.7', ['203.0.113.5', '203.0.113.6']);
  a.ctx.upstream = 'udp://192.0.2.53:53';
  log.log(a.ctx, a.wire, 0, performance.now(), 0.0025);
  out.flush();
  await until(() => metric(out, 'horizond_query_log_written_total{"sink":"sqlite"}') === 1, 20_000, 'the row written');
  t.equal(metric(out, 'horizond_query_log_sink_up{"sink":"sqlite"}'), 1);
  const db = new Database(file, { readonly: true });
  t.teardown(() => db.close());
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal', 'WAL mode');
  const row = db.prepare('SELECT * FROM queries').get() as Record<string, unknown>;
  t.match(row, {
    client_text: '10.0.0.7', port: 40000, view: 'default', protocol: 'udp', qname: 'WWW.Example.com.', rname: 'com.example.www.', qtype: 1, rcode: 0,
    source: 'cache', upstream: 'udp://192.0.2.53:53', duration_us: 2500, answers: '203.0.113.5 203.0.113.6', translated: 0, blocked_by: null, ede: null,
  });
  t.ok(Math.abs((row.ts as number) - Date.now()) < 60_000, 'time is wall-clock ms');
  t.same(row.client, clientBytes('10.0.0.7'));
});

t.test('retention deletes rows older than the retention, in the background', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'q.sqlite');
  const seed = new Database(file);
  setupDatabase(seed);
  const ins = seed.prepare(INSERT);
  const old = Date.now() - 8 * 86400_000;
  seed.transaction(() => {
    for (let i = 0; i < 12_000; i++) ins.run([old + i, clientBytes('10.0.0.1'), '10.0.0.1', 1, null, 'udp', 'old.example.', 'example.old.', 1, 0, 'cache', null, 1, null, 0, null, null]);
    ins.run([Date.now() - 86400_000, clientBytes('10.0.0.1'), '10.0.0.1', 1, null, 'udp', 'new.example.', 'example.new.', 1, 0, 'cache', null, 1, null, 0, null, null]);
  })();
  seed.close();
  const out = new QueryLogOutput();
  t.teardown(() => out.close());
  out.forConfig(cfg({ file }), ['default'], false);
  await until(() => count(file) === 1, 30_000, 'old rows deleted');
  t.equal(count(file, "qname = 'new.example.'"), 1, 'the day-old row is kept');
  await until(() => metric(out, 'horizond_query_log_retention_deleted_total{"sink":"sqlite"}') === 12_000, 10_000, 'deletions counted');
});

t.test('size retention keeps the data under maxSize, oldest rows first', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'q.sqlite');
  const out = new QueryLogOutput({ sqlite: { retentionIntervalMs: 100 } });
  t.teardown(() => out.close());
  const log = out.forConfig(cfg({ file, maxSize: 1024 * 1024 }), ['default'], false)!;
  for (let i = 0; i < 20_000; i++) {
    const a = answer(`host-${i}.some-rather-long-domain-name.example`, `10.0.${i >> 8 & 255}.${i & 255}`);
    log.log(a.ctx, a.wire, 0, performance.now(), 0.001);
    if (i % 1000 === 999) out.flush();
  }
  out.flush();
  await until(() => metric(out, 'horizond_query_log_written_total{"sink":"sqlite"}') === 20_000, 60_000, 'all written');
  await until(() => {
    const db = new Database(file, { readonly: true });
    const used = ((db.pragma('page_count', { simple: true }) as number) - (db.pragma('freelist_count', { simple: true }) as number)) * (db.pragma('page_size', { simple: true }) as number);
    db.close();
    return used <= 1024 * 1024;
  }, 60_000, 'used size under 1 MiB');
  const n = count(file);
  t.ok(n > 0 && n < 20_000, `some rows deleted, the newest kept (${n} left)`);
  t.equal(count(file, "qname = 'host-19999.some-rather-long-domain-name.example.'"), 1, 'the newest row is there');
  t.equal(count(file, "qname = 'host-0.some-rather-long-domain-name.example.'"), 0, 'the oldest row is gone');
});

t.test('a corrupt file is moved aside and a new one started', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'q.sqlite');
  writeFileSync(file, Buffer.alloc(8192, 0x5a));
  const warnings: string[] = [];
  const { pino } = await import('pino');
  const log = pino({ level: 'warn' }, { write: (s: string) => { warnings.push(s); } });
  const out = new QueryLogOutput({ log });
  t.teardown(() => out.close());
  const ql = out.forConfig(cfg({ file }), ['default'], false)!;
  const a = answer('after.example');
  ql.log(a.ctx, a.wire, 0, performance.now(), 0.001);
  out.flush();
  await until(() => metric(out, 'horizond_query_log_written_total{"sink":"sqlite"}') === 1, 20_000, 'written to the new file');
  const aside = readdirSync(dir).filter((f) => f.startsWith('q.sqlite.corrupt-'));
  t.equal(aside.length, 1, 'the damaged file is kept beside');
  t.equal(count(file), 1);
  t.equal(metric(out, 'horizond_query_log_sqlite_corrupt_files_total'), 1);
  t.ok(warnings.some((w) => /moved it aside/.test(w)), 'a warning says so');
});

t.test('an unusable location: sink down, counted, records dropped past the queue, then it comes back', async (t) => {
  const dir = t.testdir();
  writeFileSync(join(dir, 'blocker'), 'a file where a directory should be');
  const file = join(dir, 'blocker', 'q.sqlite');
  const out = new QueryLogOutput({ sqlite: { retryMs: 100 } });
  t.teardown(() => out.close());
  const ql = out.forConfig(cfg({ file }, { queueSize: 1000 }), ['default'], false)!;
  await until(() => (metric(out, 'horizond_query_log_sink_errors_total{"sink":"sqlite"}') ?? 0) > 0, 20_000, 'the error counted');
  t.equal(metric(out, 'horizond_query_log_sink_up{"sink":"sqlite"}'), 0);
  const a = answer('lost.example');
  for (let i = 0; i < 3000; i++) ql.log(a.ctx, a.wire, 0, performance.now(), 0.001);
  out.flush();
  t.equal(metric(out, 'horizond_query_log_queued_rows{"sink":"sqlite"}'), 1000, 'the queue keeps its bound');
  t.equal(metric(out, 'horizond_query_log_dropped_total{"sink":"sqlite"}'), 2000, 'the oldest are dropped and counted');
  // The location becomes usable: the queued rows are written.
  const { rmSync } = await import('node:fs');
  rmSync(join(dir, 'blocker'));
  mkdirSync(join(dir, 'blocker'));
  await until(() => metric(out, 'horizond_query_log_written_total{"sink":"sqlite"}') === 1000, 20_000, 'the queue written once the file opens');
  t.equal(metric(out, 'horizond_query_log_sink_up{"sink":"sqlite"}'), 1);
  t.ok(existsSync(file));
});
