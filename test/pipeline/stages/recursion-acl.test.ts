import t from 'tap';
import { QueryContext, TransportKind, AnswerSource } from '../../../src/pipeline/context.js';
import { Responder } from '../../../src/pipeline/responder.js';
import { Outcome, Stage } from '../../../src/pipeline/stage.js';
import { QueryStats } from '../../../src/observability/query-stats.js';
import { RecursionAclStage, compileAllowList } from '../../../src/pipeline/stages/recursion-acl.js';
import { CollectSink, query } from '../../helpers/resolver.js';

class Next extends Stage {
  readonly name = 'next';
  calls = 0;
  handle(): Outcome {
    this.calls++;
    return Outcome.Answered;
  }
}

function setup(allow?: Parameters<typeof compileAllowList>[0]) {
  const sink = new CollectSink();
  const out = new Responder({ udpPayloadSize: 1232, stats: new QueryStats() });
  const stage = allow ? new RecursionAclStage(out, allow) : new RecursionAclStage(out);
  const next = new Next();
  stage.next = next;
  const run = (address: string, view: unknown = null) => {
    const ctx = new QueryContext();
    const msg = query('www.example.com', 'A');
    ctx.reset(msg, address, 5000, address.includes(':') ? 6 : 4, TransportKind.Udp, sink, null, performance.now());
    ctx.q.parse(msg);
    ctx.view = view;
    const before = next.calls;
    const outcome = stage.handle(ctx);
    return { passed: next.calls > before, outcome, ctx };
  };
  return { run, sink };
}

t.test('default allow list: site-local clients pass, others are REFUSED', async (t) => {
  const { run, sink } = setup();
  for (const a of ['127.0.0.1', '10.1.2.3', '172.31.255.1', '192.168.1.1', '100.64.0.1', '169.254.9.9', '::1', 'fe80::1%eth0', 'fd12:3456::1', '::ffff:10.0.0.1']) {
    t.ok(run(a).passed, `${a} may recurse`);
  }
  t.equal(sink.replies.length, 0);
  for (const a of ['8.8.8.8', '172.32.0.1', '100.128.0.1', '2001:db8::1', '::ffff:8.8.8.8', 'not-an-address']) {
    const r = run(a);
    t.notOk(r.passed, `${a} refused`);
    t.equal(r.outcome, Outcome.Answered);
    t.equal(r.ctx.source, AnswerSource.Refused);
  }
  const last = sink.replies.at(-1)!;
  t.equal(last.rcode, 5);
  t.equal(last.ede, 18);
  t.equal(last.msg.questions![0]!.name, 'www.example.com', 'question echoed');
});

t.test('a view may switch recursion off, never on for an outsider', async (t) => {
  const { run } = setup(['192.168.0.0/16', { bytes: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], length: 32 }]);
  t.ok(run('192.168.7.7').passed);
  t.ok(run('2001:db8::5').passed, 'prefix given as bytes');
  t.notOk(run('192.168.7.7', { recursion: false }).passed, 'view says no');
  t.ok(run('192.168.7.7', { recursion: true }).passed);
  t.notOk(run('203.0.113.1', { recursion: true }).passed, 'view says yes but the allow list still applies');
  t.ok(run('192.168.7.7', { name: 'no-flag' }).passed, 'a view without the flag defers to the list');
});

t.test('bad prefixes are rejected at build time', async (t) => {
  t.throws(() => compileAllowList(['10.0.0.0']), /not a prefix/);
  t.throws(() => compileAllowList(['10.0.0.0/33']), /not a prefix/);
  t.throws(() => compileAllowList(['fe80::/129']), /not a prefix/);
  t.throws(() => compileAllowList(['bogus/8']), /not a prefix/);
});
