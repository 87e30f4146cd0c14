import t from 'tap';
import { Writable } from 'node:stream';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import type { QueryLogConfig } from '../../src/config/types.js';
import { QueryLogOutput } from '../../src/querylog/output.js';
import { AnswerSource, QueryContext, TransportKind, type ReplySink } from '../../src/pipeline/context.js';
import { RCode } from '../../src/wire/constants.js';

/** A stream that keeps every JSON line written to it; `hold` makes it slow (a write waits until released). */
function sink(): { stream: Writable; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l !== '') records.push(JSON.parse(l));
      done();
    },
  });
  return { stream, records };
}

const cfg = (over: Partial<QueryLogConfig> = {}): QueryLogConfig => ({
  enabled: true, sampleRate: 1, views: [], file: null, retention: 7 * 86400, queueSize: 100_000, sinks: [{ type: 'stdout' }], liveStats: false, ...over,
});
const noSink: ReplySink = { reply() {}, dropped() {} };

function ctxFor(name: string, type: 'A' | 'AAAA', view: { name: string; index: number } | null, extra: object = {}): QueryContext {
  const msg = dnsPacket.encode({ type: 'query', id: 9, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] });
  const ctx = new QueryContext();
  ctx.reset(msg, '192.168.1.10', 53211, 4, TransportKind.Tcp, noSink, null, 0);
  ctx.q.parse(msg);
  // the log reads only the view's name and index
  ctx.view = view as QueryContext['view'];
  ctx.source = AnswerSource.Upstream;
  return Object.assign(ctx, extra);
}

/** The response a client would get for ctx, with these addresses. */
function wireFor(ctx: QueryContext, rcode = 'NOERROR', data: string[] = []): Buffer {
  const q = dnsPacket.decode(ctx.msg).questions![0]!;
  return dnsPacket.encode({
    type: 'response', id: 9, flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE, rcode,
    questions: [q],
    answers: data.map((d) => ({ type: q.type, name: q.name, ttl: 60, class: 'IN', data: d })) as dnsPacket.Answer[],
  } as dnsPacket.Packet);
}

const LAN = { name: 'lan', index: 0 };
const GUEST = { name: 'guest', index: 1 };

t.test('off: no query log at all', async (t) => {
  const out = new QueryLogOutput({ destination: sink().stream });
  t.equal(out.forConfig(cfg({ enabled: false }), ['default'], false), null);
  t.equal(out.forConfig(cfg({ sinks: [] }), ['default'], false), null, 'no sinks: nothing to record');
  await out.close();
});

t.test('one JSON line per answer with every field', async (t) => {
  const { stream, records } = sink();
  const out = new QueryLogOutput({ destination: stream, timeOrigin: Date.UTC(2024, 6, 1, 12) });
  t.teardown(() => out.close());
  const log = out.forConfig(cfg(), ['lan', 'guest'], true)!;
  const a = ctxFor('NAS.home.lan', 'AAAA', LAN, { upstream: 'udp://192.0.2.53:53', translated: true, ede: 3 });
  log.log(a, wireFor(a, 'NOERROR', ['fd00:1::0:20']), RCode.NoError, 123, 0.0123456);
  const b = ctxFor('ads.example', 'A', GUEST, { source: AnswerSource.Blocklist, blockedBy: 'ads' });
  log.log(b, wireFor(b, 'NXDOMAIN'), RCode.NXDomain, 124, 0.2);
  t.equal(records.length, 0, 'nothing written on the answer path');
  out.flush();
  t.equal(records.length, 2);
  t.same(records[0], {
    level: 'info', time: '2024-07-01T12:00:00.123Z', service: 'horizond', kind: 'query', client: '192.168.1.10', port: 53211, transport: 'tcp', view: 'lan',
    qname: 'NAS.home.lan.', qtype: 'AAAA', rcode: 'NOERROR', source: 'upstream', upstream: 'udp://192.0.2.53:53',
    durationMs: 12.346, translated: true, answers: ['fd00:1::20'], blockedBy: null, ede: 3,
  }, 'exactly these fields');
  t.match(records[1], { view: 'guest', qname: 'ads.example.', qtype: 'A', rcode: 'NXDOMAIN', source: 'blocklist', blockedBy: 'ads', answers: [], ede: null });
});

t.test('per-view enable', async (t) => {
  const { stream, records } = sink();
  const out = new QueryLogOutput({ destination: stream });
  t.teardown(() => out.close());
  const log = out.forConfig(cfg({ views: ['lan'] }), ['lan', 'guest'], true)!;
  for (const [n, v] of [['a.lan', LAN], ['b.lan', GUEST], ['c.lan', null]] as const) {
    const c = ctxFor(n, 'A', v);
    log.log(c, wireFor(c), 0, 0, 0.001);
  }
  out.flush();
  t.same(records.map((r) => r.qname), ['a.lan.'], 'only the lan view; a query no view matched is not in lan');

  const all = out.forConfig(cfg(), ['lan', 'guest'], true)!;
  const d = ctxFor('d.lan', 'A', null);
  all.log(d, wireFor(d, 'REFUSED'), RCode.Refused, 0, 0.001);
  out.flush();
  t.match(records.at(-1), { qname: 'd.lan.', view: null }, 'every view: unmatched queries too');

  const only = out.forConfig(cfg({ views: ['default'] }), ['default'], false)!;
  const e = ctxFor('e.lan', 'A', null);
  only.log(e, wireFor(e), 0, 0, 0.001);
  out.flush();
  t.match(records.at(-1), { qname: 'e.lan.', view: 'default' }, 'one view for everyone: queries carry no view but belong to it');
});

t.test('sampling keeps the configured fraction', async (t) => {
  const { stream, records } = sink();
  const draws = [0.1, 0.3, 0.24, 0.9, 0.25, 0.0];
  let i = 0;
  let calls = 0;
  const out = new QueryLogOutput({ destination: stream, random: () => { calls++; return draws[i++ % draws.length]!; } });
  t.teardown(() => out.close());
  const log = out.forConfig(cfg({ sampleRate: 0.25 }), ['default'], false)!;
  for (let n = 0; n < 6; n++) { const c = ctxFor(`q${n}.lan`, 'A', null); log.log(c, wireFor(c), 0, 0, 0.001); }
  out.flush();
  t.same(records.map((r) => r.qname), ['q0.lan.', 'q2.lan.', 'q5.lan.'], 'logged when the draw is below the rate');

  const full = out.forConfig(cfg({ sampleRate: 1 }), ['default'], false)!;
  calls = 0;
  const x = ctxFor('x.lan', 'A', null);
  for (let n = 0; n < 5; n++) full.log(x, wireFor(x), 0, 0, 0.001);
  out.flush();
  t.equal(calls, 0, 'rate 1 draws nothing');
  t.equal(records.length, 8);
});

t.test('a slow sink: the oldest records are dropped and counted, the newest kept', async (t) => {
  const records: string[] = [];
  let release: (() => void) | null = null;
  let hold = true;
  const stream = new Writable({
    highWaterMark: 1,
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l !== '') records.push(JSON.parse(l).qname);
      if (hold) release = done; // the destination takes no more until released
      else done();
    },
  });
  const out = new QueryLogOutput({ destination: stream });
  t.teardown(() => out.close());
  const log = out.forConfig(cfg({ queueSize: 1000 }), ['default'], false)!;
  const c = ctxFor('n.lan', 'A', null);
  const w = wireFor(c);
  for (let batch = 0; batch < 30; batch++) {
    for (let n = 0; n < 100; n++) log.log(c, w, 0, 0, 0.001);
    out.flush();
  }
  const samples = new Map<string, number>();
  out.metricsSource().collect({ value: (name, labels, v) => samples.set(`${name}${labels ? JSON.stringify(labels) : ''}`, v), histogram() {} });
  t.equal(records.length, 100, 'the first batch went to the stuck destination');
  t.equal(samples.get('horizond_query_log_queued_rows{"sink":"stdout"}'), 1000, 'the queue holds its bound');
  t.equal(samples.get('horizond_query_log_dropped_total{"sink":"stdout"}'), 1900, 'the rest was dropped and counted');
  t.equal(samples.get('horizond_query_log_records_total'), 3000);
  hold = false;
  release!();
  await new Promise((r) => setImmediate(r));
  t.ok(records.length > 100, 'writing resumes once the destination drains');
});

t.test('a file destination is written asynchronously and flushed on close', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'horizond-qlog-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'sub', 'queries.log');
  const out = new QueryLogOutput();
  const log = out.forConfig(cfg({ file }), ['default'], false)!;
  t.equal(out.forConfig(cfg({ file, sampleRate: 0.5 }), ['default'], false) !== null, true, 'a reload reuses the open file');
  for (let n = 0; n < 100; n++) { const c = ctxFor(`h${n}.home.lan`, 'A', null); log.log(c, wireFor(c, 'NOERROR', ['192.168.1.7']), 0, 0, 0.001); }
  await out.close();
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.equal(lines.length, 100);
  t.match(lines[99], { qname: 'h99.home.lan.', view: 'default', kind: 'query', answers: ['192.168.1.7'] });
});
