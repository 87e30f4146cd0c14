import t from 'tap';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { LiveStats, SpaceSaving } from '../../src/querylog/live-stats.js';
import { QueryLogOutput } from '../../src/querylog/output.js';
import type { QueryLogConfig } from '../../src/config/types.js';
import { AnswerSource, QueryContext, TransportKind, type ReplySink } from '../../src/pipeline/context.js';

const noSink: ReplySink = { reply() {}, dropped() {} };

function answer(name: string, client: string, source: number): { ctx: QueryContext; wire: Buffer } {
  const msg = dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'A', name, class: 'IN' }] });
  const ctx = new QueryContext();
  ctx.reset(msg, client, 1000, 4, TransportKind.Udp, noSink, null, 0);
  ctx.q.parse(msg);
  ctx.source = source as QueryContext['source'];
  return { ctx, wire: dnsPacket.encode({ type: 'response', id: 1, questions: [{ type: 'A', name, class: 'IN' }] }) };
}

t.test('the sketch keeps the heavy hitters in bounded memory and never undercounts', async (t) => {
  const s = new SpaceSaving(10);
  for (let i = 0; i < 5000; i++) {
    s.add('heavy-a');
    if (i % 2 === 0) s.add('heavy-b');
    s.add(`rare-${i}`);
  }
  t.ok(s.size <= 20, `at most 2k entries (${s.size})`);
  const top = s.top(2);
  t.same(top.map((e) => e.key), ['heavy-a', 'heavy-b']);
  t.ok(top[0]!.count >= 5000 && top[0]!.count - top[0]!.error <= 5000, 'count bounds the truth from above, count - error from below');
  t.ok(top[1]!.count >= 2500 && top[1]!.count - top[1]!.error <= 2500);
});

t.test('per-minute counts, tops, fed from the batches; saved at stop, loaded at start', async (t) => {
  const dir = t.testdir();
  const T = Date.UTC(2024, 6, 1, 12, 0, 30);
  const cfg: QueryLogConfig = { enabled: true, sampleRate: 1, views: [], file: null, retention: 86400, queueSize: 1000, sinks: [], liveStats: true };
  const out = new QueryLogOutput({ timeOrigin: T });
  const log = out.forConfig(cfg, ['default'], false, dir)!;
  t.ok(log, 'no sinks but live statistics: answers are still recorded');
  const feed = (name: string, client: string, source: number, atMs: number, n: number): void => {
    const a = answer(name, client, source);
    for (let i = 0; i < n; i++) log.log(a.ctx, a.wire, 0, atMs, 0.001);
  };
  feed('WWW.example.com', '192.168.1.10', AnswerSource.Cache, 0, 30);
  feed('ads.tracker.example', '192.168.1.11', AnswerSource.Blocklist, 0, 5);
  feed('www.example.com', '192.168.1.11', AnswerSource.Upstream, 60_000, 7);
  out.flush();
  const snap = out.liveStats!.snapshot(T + 60_000, 5);
  t.equal(snap.perMinute.length, 1440, '24 hours of minutes');
  t.same(snap.perMinute.at(-2), { minute: Date.UTC(2024, 6, 1, 12, 0), total: 35, blocked: 5, sources: { cache: 30, blocklist: 5 } });
  t.same(snap.perMinute.at(-1), { minute: Date.UTC(2024, 6, 1, 12, 1), total: 7, blocked: 0, sources: { upstream: 7 } });
  t.same(snap.topNames.map((n) => [n.name, n.count]), [['www.example.com.', 37], ['ads.tracker.example.', 5]], 'names case-folded');
  t.same(snap.topClients.map((n) => [n.client, n.count]), [['192.168.1.10', 30], ['192.168.1.11', 12]]);
  t.same(snap.topBlocked.map((n) => [n.name, n.count]), [['ads.tracker.example.', 5]]);
  await out.close();

  const again = LiveStats.load(join(dir, 'querylog-live.json'), 1000, T + 60_000);
  t.same(again.snapshot(T + 60_000, 5), snap, 'the same numbers after a restart');
  t.equal(LiveStats.load(join(dir, 'querylog-live.json'), 1000, T + 25 * 3600_000).snapshot(T + 25 * 3600_000).perMinute.every((m) => m.total === 0), true, 'minutes older than 24 h are not loaded');
  t.same(LiveStats.load(join(dir, 'absent.json')).snapshot(T).topNames, [], 'no file: empty');
});
