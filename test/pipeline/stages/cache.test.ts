import t from 'tap';
import { QueryContext, TransportKind, AnswerSource } from '../../../src/pipeline/context.js';
import { Responder } from '../../../src/pipeline/responder.js';
import { Outcome } from '../../../src/pipeline/stage.js';
import { QueryStats } from '../../../src/observability/query-stats.js';
import { CacheStage } from '../../../src/pipeline/stages/cache.js';
import { AnswerCache } from '../../../src/resolver/cache/answer-cache.js';
import { CacheEntry } from '../../../src/resolver/cache/entry.js';
import { CacheReplies } from '../../../src/pipeline/cache-reply.js';
import { configFor } from '../../helpers/config.js';
import { packAnswer } from '../../../src/resolver/cache/pack.js';
import { ManualClock } from '../../../src/resolver/clock.js';
import { DomainMap } from '../../../src/wire/domain-map.js';
import { Forwarder } from '../../../src/resolver/forwarder.js';
import { NextProbe } from '../../helpers/stage.js';
import { CollectSink, ScriptedUpstream, a, answerWire, query, ttlOf } from '../../helpers/resolver.js';


function setup() {
  const clock = new ManualClock(1000);
  const sink = new CollectSink();
  const out = new Responder({ udpPayloadSize: 1232, stats: new QueryStats() });
  const cache = new AnswerCache({ maxEntries: 100, maxBytes: 1 << 20 });
  const up = new ScriptedUpstream((q) => ({ answers: [a(q.qname, '192.0.2.99', 300)] }));
  const s = configFor('cache: { serveStale: { clientTimeout: 0.05 } }').cache;
  const fwd = new Forwarder(cache, { domains: new DomainMap(), fallback: up }, new CacheReplies(out), clock, { ...s, resolutionTimeout: 1 });
  const stage = new CacheStage(new CacheReplies(out), cache, fwd, clock, s);
  const next = new NextProbe();
  stage.next = next;
  const put = (name: string, ttl: number, staleFor = 3600) => {
    const p = packAnswer(answerWire({ qname: name + '.', qtype: 1, qclass: 1, do: false, cd: false }, { answers: [a(name, '192.0.2.1', ttl)] }), s);
    const ctx = ctxFor(name, 1);
    cache.store(ctx.q.key(), p, clock.nowSeconds(), clock.nowSeconds() + p.ttl + staleFor);
  };
  const ctxFor = (name: string, id: number) => {
    const ctx = new QueryContext();
    const msg = query(name, 'A', { id });
    ctx.reset(msg, '127.0.0.1', 5000, 4, TransportKind.Udp, sink, null, performance.now());
    ctx.q.parse(msg);
    return ctx;
  };
  const run = (name: string, id = 1) => {
    const ctx = ctxFor(name, id);
    const before = next.seen.length;
    const outcome = stage.handle(ctx);
    return { passed: next.seen.length > before, outcome, ctx };
  };
  return { clock, sink, cache, up, put, run, next };
}

t.test('a miss goes to the next stage', async (t) => {
  const { run, cache } = setup();
  const r = run('absent.example');
  t.ok(r.passed);
  t.equal(cache.counters.misses, 1);
});

t.test('a fresh hit is answered without the next stage', async (t) => {
  const { run, put, sink, clock, up } = setup();
  put('hit.example', 300);
  clock.advance(10);
  const r = run('hit.example', 77);
  t.notOk(r.passed);
  t.equal(r.outcome, Outcome.Answered);
  t.equal(r.ctx.source, AnswerSource.Cache);
  t.equal(sink.replies.length, 1, 'answered synchronously');
  t.equal(sink.replies[0]!.msg.id, 77);
  t.equal(ttlOf(sink.replies[0]!.msg.answers![0]), 290);
  t.equal(up.count(), 0);
});

t.test('a hit near expiry answers and prefetches once', async (t) => {
  const { run, put, clock, up, sink } = setup();
  put('pf.example', 100);
  clock.advance(91);
  t.notOk(run('pf.example').passed);
  t.notOk(run('pf.example').passed);
  t.equal(sink.replies.length, 2);
  t.equal(up.count(), 1, 'one background refresh');
});

t.test('an expired entry inside the stale window goes to the forwarder, not to next', async (t) => {
  const { run, put, clock, up, sink } = setup();
  put('old.example', 100);
  clock.advance(200);
  const r = run('old.example', 9);
  t.notOk(r.passed, 'the cache stage handles stale itself');
  t.equal(r.outcome, Outcome.Pending);
  const reply = await sink.expect(9);
  t.equal(reply.source, AnswerSource.Upstream, 'refreshed');
  t.equal(up.count(), 1);
});

t.test('an expired entry past its stale window is a plain miss', async (t) => {
  const { run, put, clock } = setup();
  put('dead.example', 100, 10);
  clock.advance(111);
  t.ok(run('dead.example').passed);
});

t.test('a cached failure answers SERVFAIL without the next stage', async (t) => {
  const { run, cache, sink, clock } = setup();
  const ctx = run('probe.example').ctx;
  cache.set(ctx.q.key(), CacheEntry.failure(clock.nowSeconds(), 5, 22));
  const r = run('probe.example', 5);
  t.notOk(r.passed);
  t.equal(sink.replies.at(-1)!.rcode, 2);
  t.equal(sink.replies.at(-1)!.ede, 22);
  clock.advance(5);
  t.ok(run('probe.example').passed, 'after servfailTtl it is a miss again');
});
