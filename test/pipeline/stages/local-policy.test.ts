import t from 'tap';
import { QueryContext, TransportKind, AnswerSource } from '../../../src/pipeline/context.js';
import { Responder } from '../../../src/pipeline/responder.js';
import { Outcome } from '../../../src/pipeline/stage.js';
import { QueryStats } from '../../../src/observability/query-stats.js';
import { LocalPolicyStage, compileNxdomain } from '../../../src/pipeline/stages/local-policy.js';
import { decodeMessage } from '../../../src/wire/message.js';
import { NextProbe } from '../../helpers/stage.js';
import { CollectSink, query } from '../../helpers/resolver.js';


t.test('names at or below a configured domain get NXDOMAIN with an SOA; others go on', async (t) => {
  const sink = new CollectSink();
  const out = new Responder({ udpPayloadSize: 1232, stats: new QueryStats() });
  const stage = new LocalPolicyStage(out, compileNxdomain(['Blocked.Example', 'local.'], 600));
  const next = new NextProbe();
  stage.next = next;
  const run = (name: string, type = 'A', id = 7) => {
    const ctx = new QueryContext();
    const msg = query(name, type, { id });
    ctx.reset(msg, '127.0.0.1', 5000, 4, TransportKind.Udp, sink, null, performance.now());
    ctx.q.parse(msg);
    return { outcome: stage.handle(ctx), ctx };
  };

  const r = run('Printer.BLOCKED.example', 'AAAA', 0x4242);
  t.equal(r.outcome, Outcome.Answered);
  t.equal(r.ctx.source, AnswerSource.Local);
  t.equal(next.seen.length, 0, 'not passed on');
  const reply = sink.replies[0]!;
  const m = decodeMessage(reply.wire);
  t.equal(m.id, 0x4242);
  t.equal(m.rcode, 3);
  t.ok(m.qr && m.aa && m.rd && m.ra);
  t.equal(m.question[0]!.name, 'Printer.BLOCKED.example.', 'question echoed as asked');
  t.equal(m.question[0]!.type, 28);
  t.equal(m.answer.length, 0);
  t.equal(m.authority.length, 1);
  const soa = m.authority[0]!;
  t.equal(soa.type, 6);
  t.equal(soa.name, 'blocked.example.');
  t.equal(soa.ttl, 600);
  t.equal(Buffer.from(soa.rdata).readUInt32BE(soa.rdata.length - 4), 600, 'SOA MINIMUM = TTL (RFC 2308)');
  t.ok(m.edns, 'OPT echoed by the responder');

  t.equal(run('host.local').ctx.source, AnswerSource.Local);
  t.equal(run('local').ctx.source, AnswerSource.Local, 'the domain itself');
  const before = sink.replies.length;
  run('example');
  run('notblocked.example');
  run('blocked.example.com');
  t.equal(next.seen.length, 3, 'other names reach the next stage');
  t.equal(sink.replies.length, before);
});
