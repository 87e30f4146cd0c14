import t from 'tap';
import { NextProbe } from '../../helpers/stage.js';
import { QueryStats } from '../../../src/observability/query-stats.js';
import { AnswerSource } from '../../../src/pipeline/context.js';
import { Responder } from '../../../src/pipeline/responder.js';
import { Outcome, chain } from '../../../src/pipeline/stage.js';
import { AuthoritativeStage } from '../../../src/pipeline/stages/authoritative.js';
import { LocalChainStage, ViewStage, viewOf, viewZoneSource } from '../../../src/pipeline/stages/view.js';
import type { View } from '../../../src/view/views.js';
import { A, CNAME, Sink, answers, context, decode, loadTestViews, query, response } from '../../fixtures/views/setup.js';


function setup(yaml?: string) {
  const { views } = loadTestViews(yaml);
  const sink = new Sink();
  const out = new Responder({ udpPayloadSize: 1232, stats: new QueryStats() });
  out.setPostStages([new LocalChainStage(views)]);
  const next = new NextProbe();
  const head = chain([new ViewStage(out, views), new AuthoritativeStage(out, viewZoneSource(views)), next]);
  const ask = (name: string, type: string, address: string, o: Parameters<typeof query>[2] = {}) => {
    const ctx = context(query(name, type, o), address, sink);
    const before = sink.replies.length;
    const outcome = head.handle(ctx);
    const reply = sink.replies.length > before ? sink.replies.at(-1)! : null;
    return { ctx, outcome, reply, passed: next.seen.at(-1) === ctx };
  };
  return { views, sink, out, next, ask };
}

t.test('the view stage sets ctx.view and counts the query', async (t) => {
  const { views, ask } = setup();
  const r = ask('jira.corp.example', 'A', '192.168.1.9');
  t.ok(r.passed, 'went on down the chain');
  t.equal((r.ctx.view as View).name, 'lan');
  t.equal(ask('x.example.org', 'A', '10.0.20.3').ctx.view, views.get('k8s'));
  t.equal(views.get('lan')!.counters.queries, 1);
  t.equal(views.get('k8s')!.counters.queries, 1);
});

t.test('clients no view matches are refused', async (t) => {
  const { ask, sink } = setup('views: { list: [ { name: lan, match: [192.168.1.0/24] } ] }');
  const r = ask('x.example.org', 'A', '203.0.113.9');
  t.notOk(r.passed);
  t.equal(r.outcome, Outcome.Answered);
  t.equal(r.ctx.source, AnswerSource.Refused);
  const msg = decode(sink.replies[0]!);
  t.equal(msg.rcode, 'REFUSED');
  const ede = (msg.additionals![0] as { options: { code: number; data: Buffer }[] }).options.find((o) => o.code === 15)!;
  t.equal(ede.data.readUInt16BE(0), 18, 'EDE Prohibited');
});

t.test('each view answers from its own zones', async (t) => {
  const { ask } = setup();
  const lan = ask('anything.example.net', 'A', '192.168.1.9');
  t.same(answers(lan.reply!), ['anything.example.net CNAME example.net', 'example.net A 192.168.1.50'], 'LAN: internal zone');
  t.equal(lan.ctx.source, AnswerSource.Authoritative);
  t.same(answers(ask('app.example.net', 'A', '10.0.20.3').reply!), ['app.example.net A 203.0.113.10'], 'k8s: public zone');
  t.equal(decode(ask('anything.example.net', 'A', '10.0.20.3').reply!).rcode, 'NXDOMAIN');
  t.same(answers(ask('router.home.lan', 'A', '10.0.20.3').reply!), ['router.home.lan A 192.168.1.1'], 'global zone in every view');
  t.same(answers(ask('router.home.lan', 'A', '192.168.1.9').reply!), ['router.home.lan A 192.168.1.1']);
});

t.test('fallthrough: names the zone lacks go on down the chain', async (t) => {
  const { ask } = setup();
  t.same(answers(ask('wiki.corp.example', 'A', '192.168.1.9').reply!), ['wiki.corp.example A 192.168.1.80']);
  const missing = ask('jira.corp.example', 'A', '192.168.1.9');
  t.ok(missing.passed, 'forwarded, not NXDOMAIN');
  t.equal(missing.reply, null);
  t.ok(ask('wiki.corp.example', 'A', '10.0.20.3').passed, 'not served in the k8s view at all');
});

t.test('without the view stage: the only view', async (t) => {
  const { views } = loadTestViews('zones: [ { name: home.lan., file: home.lan.zone } ]');
  t.ok(views.trivial);
  const ctx = context(query('router.home.lan', 'A'), '8.8.8.8');
  t.equal(viewOf(ctx, views), views.views[0]);
  t.ok(viewZoneSource(views)(ctx).lookup('router.home.lan.', 1, false));
});

t.test('local-chain post stage: forwarded answers only, per view', async (t) => {
  const { views, out, sink } = setup();
  const upstream = response('cdn.example.com', 'A', { answers: [CNAME('cdn.example.com', 'app.example.net'), A('app.example.net', '198.51.100.99')] });
  const send = (address: string, source: number) => {
    const ctx = context(query('cdn.example.com', 'A'), address, sink);
    views.select(ctx);
    ctx.source = source as typeof ctx.source;
    out.send(ctx, Buffer.from(upstream));
    return answers(sink.replies.at(-1)!);
  };
  t.same(send('192.168.1.9', AnswerSource.Cache), ['cdn.example.com CNAME app.example.net', 'app.example.net CNAME example.net', 'example.net A 192.168.1.50']);
  t.same(send('10.0.20.3', AnswerSource.Upstream), ['cdn.example.com CNAME app.example.net', 'app.example.net A 203.0.113.10']);
  t.same(send('10.0.20.3', AnswerSource.Stale), ['cdn.example.com CNAME app.example.net', 'app.example.net A 203.0.113.10']);
  t.same(send('10.0.20.3', AnswerSource.Authoritative), ['cdn.example.com CNAME app.example.net', 'app.example.net A 198.51.100.99'], 'zone answers are complete already');
  t.equal(views.get('lan')!.counters.localChains, 1);
  t.equal(views.get('k8s')!.counters.localChains, 2);
});
