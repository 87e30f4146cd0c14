import t from 'tap';
import { QueryContext, TransportKind, AnswerSource } from '../../../src/pipeline/context.js';
import { Responder } from '../../../src/pipeline/responder.js';
import { Outcome } from '../../../src/pipeline/stage.js';
import { QueryStats } from '../../../src/observability/query-stats.js';
import { ForwardStage } from '../../../src/pipeline/stages/forward.js';
import { AnswerCache } from '../../../src/resolver/cache/answer-cache.js';
import { CacheReplies } from '../../../src/pipeline/cache-reply.js';
import { configFor } from '../../helpers/config.js';
import { ManualClock } from '../../../src/resolver/clock.js';
import { DomainMap } from '../../../src/wire/domain-map.js';
import { Forwarder } from '../../../src/resolver/forwarder.js';
import { CollectSink, ScriptedUpstream, a, query } from '../../helpers/resolver.js';

function setup(fallback: ScriptedUpstream | null) {
  const clock = new ManualClock(1000);
  const sink = new CollectSink();
  const out = new Responder({ udpPayloadSize: 1232, stats: new QueryStats() });
  const cache = new AnswerCache({ maxEntries: 100, maxBytes: 1 << 20 });
  const fwd = new Forwarder(cache, { domains: new DomainMap(), fallback }, new CacheReplies(out), clock, { ...configFor().cache, resolutionTimeout: 1 });
  const stage = new ForwardStage(out, fwd);
  const run = (name: string, type = 'A', id = 1) => {
    const ctx = new QueryContext();
    const msg = query(name, type, { id });
    ctx.reset(msg, '127.0.0.1', 5000, 4, TransportKind.Udp, sink, null, performance.now());
    ctx.q.parse(msg);
    return { outcome: stage.handle(ctx), ctx };
  };
  return { run, sink, cache, fwd };
}

t.test('a miss is asked upstream, stored, and answered on the detached context', async (t) => {
  const up = new ScriptedUpstream((q) => ({ answers: [a(q.qname, '192.0.2.8', 120)] }));
  const { run, sink, cache, fwd } = setup(up);
  const r = run('Www.Example.org', 'A', 31);
  t.equal(r.outcome, Outcome.Pending);
  t.equal(fwd.inFlight, 1);
  t.same(up.asked[0], { qname: 'Www.Example.org.', qtype: 1, qclass: 1, do: false, cd: false }, 'the question as the client asked it');
  const reply = await sink.expect(31);
  t.equal(reply.source, AnswerSource.Upstream);
  t.equal(reply.msg.questions![0]!.name, 'Www.Example.org');
  t.equal(cache.size, 1, 'stored');
  t.equal(fwd.inFlight, 0);
  t.equal(r.ctx.done, false, 'the scratch context was never answered on');
});

t.test('zone transfers are refused, not forwarded', async (t) => {
  const up = new ScriptedUpstream(() => ({}));
  const { run, sink } = setup(up);
  const r = run('example.org', 'AXFR');
  t.equal(r.outcome, Outcome.Answered);
  t.equal(sink.replies[0]!.rcode, 5);
  t.equal(up.count(), 0);
});

t.test('no upstream for the name: REFUSED at once', async (t) => {
  const { run, sink } = setup(null);
  const r = run('example.org');
  t.equal(r.outcome, Outcome.Answered);
  t.equal(sink.replies[0]!.rcode, 5);
  t.equal(r.ctx.source, AnswerSource.None, 'answered on the detached copy');
});
