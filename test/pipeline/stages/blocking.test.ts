import t, { type Test } from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlockingManager } from '../../../src/blocking/manager.js';
import { BlockingControl } from '../../../src/blocking/control.js';
import { parseConfig } from '../../../src/config/index.js';
import { createLogger } from '../../../src/observability/log.js';
import { QueryStats } from '../../../src/observability/query-stats.js';
import { AnswerSource, QueryContext, TransportKind } from '../../../src/pipeline/context.js';
import { Responder } from '../../../src/pipeline/responder.js';
import { Outcome, Stage } from '../../../src/pipeline/stage.js';
import { Blocking, BlockingStage } from '../../../src/pipeline/stages/blocking.js';
import { loadViews } from '../../../src/view/load.js';
import { RCode } from '../../../src/wire/constants.js';
import { decodeMessage } from '../../../src/wire/message.js';
import { ZoneStore } from '../../../src/zone/store.js';
import { CollectSink, query } from '../../helpers/resolver.js';

class Next extends Stage {
  readonly name = 'next';
  calls = 0;
  handle(): Outcome {
    this.calls++;
    return Outcome.Answered;
  }
}

async function setup(t: Test, answer = 'zero') {
  const dir = mkdtempSync(join(tmpdir(), 'horizond-blocking-stage-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'ads.txt'), 'ads.example\n');
  writeFileSync(join(dir, 'mal.txt'), 'evil.example\n');
  const config = parseConfig(`server: { dataDir: data }
blocking:
  lists: { ads: [ads.txt], malware: [mal.txt] }
  answer: ${answer}
  ttl: 42
views:
  list:
    - { name: lan, match: [10.0.0.0/8] }
    - { name: iot, match: [10.1.0.0/16], blocking: [malware] }
    - { name: k8s, match: [10.42.0.0/16], blocking: [] }
`, 'h.yaml', dir);
  const log = createLogger('silent');
  const manager = new BlockingManager({ dataDir: config.server.dataDir, log, inline: true });
  t.teardown(() => manager.close());
  manager.adopt(config.blocking, []);
  await manager.settled();
  const { views } = loadViews(config, new ZoneStore(), log);
  const sink = new CollectSink();
  const stage = new BlockingStage(new Responder({ udpPayloadSize: 1232, stats: new QueryStats() }), new Blocking(manager, config.blocking!, views, config.views.list));
  const next = new Next();
  stage.next = next;
  const run = (name: string, view: string, type = 'A') => {
    const ctx = new QueryContext();
    const msg = query(name, type, { id: 9 });
    ctx.reset(msg, '10.0.0.1', 5000, 4, TransportKind.Udp, sink, null, performance.now());
    ctx.q.parse(msg);
    ctx.view = views.get(view)!;
    const outcome = stage.handle(ctx);
    return { outcome, ctx, reply: outcome === Outcome.Answered && next.calls === 0 ? sink.replies.at(-1) : undefined };
  };
  const control = new BlockingControl(manager, () => config);
  return { run, next, sink, manager, control };
}

t.test('groups per view, the blocked answer, the slot and the source', async (t) => {
  const { run, next, sink } = await setup(t);
  const r = run('www.ADS.example', 'lan');
  t.equal(r.ctx.source, AnswerSource.Blocklist);
  t.equal(r.ctx.blockedBy, 'ads');
  t.equal(next.calls, 0);
  const m = decodeMessage(sink.replies.at(-1)!.wire);
  t.equal(m.answer[0]!.ttl, 42);
  t.same([...m.answer[0]!.rdata], [0, 0, 0, 0]);
  t.same(m.edns?.options.map((o) => [o.code, Buffer.from(o.data).toString('latin1')]), [[15, '\x00\x0fads']]);
  t.equal(run('evil.example', 'iot').ctx.blockedBy, 'malware');
  run('ads.example', 'iot');
  t.equal(next.calls, 1, 'iot does not block ads');
  run('evil.example', 'k8s');
  t.equal(next.calls, 2, 'k8s blocks nothing');
  run('example', 'lan');
  t.equal(next.calls, 3);
});

t.test('pause per view and for all, via BlockingControl; resume applies at once', async (t) => {
  const { run, next, control } = await setup(t);
  control.pause(10, 'lan');
  run('ads.example', 'lan');
  t.equal(next.calls, 1, 'paused in lan');
  t.equal(run('evil.example', 'iot').ctx.blockedBy, 'malware', 'iot still blocks');
  t.ok(control.status().views.find((v) => v.view === 'lan')!.pausedUntil! > Date.now());
  control.resume('lan');
  t.equal(run('ads.example', 'lan').ctx.blockedBy, 'ads');
  control.pause(1);
  run('evil.example', 'iot');
  t.equal(next.calls, 2, 'paused everywhere');
  control.resume();
  t.equal(run('evil.example', 'iot').ctx.blockedBy, 'malware');
  t.throws(() => control.pause(5, 'nope'), { code: 'HZ_ERR_BLOCKING_UNKNOWN_VIEW' });
  t.throws(() => control.pause(0), { code: 'HZ_ERR_INVALID_ARGUMENT' });
});

t.test('answer modes: nxdomain, nodata, refused (all with EDE 15)', async (t) => {
  for (const [mode, rcode, authority] of [['nxdomain', RCode.NXDomain, 1], ['nodata', RCode.NoError, 1], ['refused', RCode.Refused, 0]] as const) {
    const { run, sink } = await setup(t, mode);
    run('ads.example', 'lan', 'A');
    const m = decodeMessage(sink.replies.at(-1)!.wire);
    t.equal(m.rcode, rcode, mode);
    t.equal(m.answer.length, 0);
    t.equal(m.authority.length, authority);
    t.equal(m.edns?.options[0]?.code, 15);
  }
});

t.test('zero: NODATA with SOA for types other than A and AAAA', async (t) => {
  const { run, sink } = await setup(t);
  run('ads.example', 'lan', 'MX');
  const m = decodeMessage(sink.replies.at(-1)!.wire);
  t.equal(m.rcode, 0);
  t.equal(m.answer.length, 0);
  t.equal(m.authority[0]!.type, 6);
  t.equal(m.authority[0]!.name, 'ads.example.');
});

t.test('BlockingControl.test explains verdicts from the sources', async (t) => {
  const { control } = await setup(t);
  const v = await control.test('x.ads.example', 'lan');
  t.equal(v.blocked, true);
  t.match(v.blockedBy, { group: 'ads', source: 'ads.txt', line: 1, entry: 'ads.example' });
  t.equal((await control.test('x.ads.example', 'iot')).blocked, false);
  await t.rejects(control.test('x', 'nope'), { code: 'HZ_ERR_BLOCKING_UNKNOWN_VIEW' });
});
