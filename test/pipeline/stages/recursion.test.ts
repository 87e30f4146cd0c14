import t from 'tap';
import { join } from 'node:path';
import { ROOT } from '../../helpers/daemon.js';
import dnsPacket from 'dns-packet';
import { AnswerSource } from '../../../src/pipeline/context.js';
import { Responder } from '../../../src/pipeline/responder.js';
import { Outcome } from '../../../src/pipeline/stage.js';
import { QueryStats } from '../../../src/observability/query-stats.js';
import { createLogger } from '../../../src/observability/log.js';
import { RecursionAclStage } from '../../../src/pipeline/stages/recursion-acl.js';
import { compileAllowList, RecursionStage } from '../../../src/pipeline/stages/recursion.js';
import { loadViews } from '../../../src/view/load.js';
import { ZoneStore } from '../../../src/zone/store.js';
import { configFor } from '../../helpers/config.js';
import { pipelineFromYaml } from '../../helpers/pipeline.js';
import { query } from '../../helpers/resolver.js';
import { stageHarness } from '../../helpers/stage.js';

/** The recursion stage for a config text (its allow list and views). */
function decider(yaml = '') {
  const config = configFor(yaml);
  const { views } = loadViews(config, new ZoneStore(), createLogger('silent'));
  const h = stageHarness(new RecursionStage(compileAllowList(config.recursion.allow), views));
  return { ...h, views, decide: (address: string, view = views.views[0]!) => h.run('www.example.com', 'A', { address, prepare: (c) => { c.view = view; } }) };
}

t.test('default allow list: site-local clients may recurse, others may not', async (t) => {
  const { run } = decider();
  for (const a of ['127.0.0.1', '10.1.2.3', '172.31.255.1', '192.168.1.1', '100.64.0.1', '169.254.9.9', '::1', 'fe80::1%eth0', 'fd12:3456::1', '::ffff:10.0.0.1']) {
    const r = run('www.example.com', 'A', { address: a });
    t.ok(r.passed && r.ctx.recursion, `${a} may recurse`);
  }
  for (const a of ['8.8.8.8', '172.32.0.1', '100.128.0.1', '2001:db8::1', '::ffff:8.8.8.8', 'not-an-address']) {
    const r = run('www.example.com', 'A', { address: a });
    t.ok(r.passed, `${a}: the decision never answers`);
    t.notOk(r.ctx.recursion, `${a} may not recurse`);
  }
});

t.test('a view may switch recursion off, never on for an outsider', async (t) => {
  const { decide, views } = decider(`
networks: { lan: [192.168.0.0/16, "2001:db8::/32"] }
recursion: { allow: [lan] }
views:
  list:
    - { name: open, match: [192.168.7.0/24, 203.0.113.0/24] }
    - { name: closed, match: [192.168.8.0/24], recursion: false }
    - { name: default }
`);
  const open = views.get('open')!;
  const closed = views.get('closed')!;
  t.ok(decide('192.168.7.7', open).ctx.recursion);
  t.ok(decide('2001:db8::5', open).ctx.recursion, 'IPv6 prefix of the network');
  t.notOk(decide('192.168.8.8', closed).ctx.recursion, 'view says no');
  t.notOk(decide('203.0.113.1', open).ctx.recursion, 'view says yes but the allow list still applies');
});

t.test('recursion-acl enforces the decision: REFUSED with EDE 18', async (t) => {
  const out = new Responder({ udpPayloadSize: 1232, stats: new QueryStats() });
  const { run } = stageHarness(new RecursionAclStage(out));
  const yes = run('www.example.com', 'A', { prepare: (c) => { c.recursion = true; } });
  t.ok(yes.passed);
  t.equal(yes.reply, null);
  const no = run('www.example.com', 'A', { address: '8.8.8.8' });
  t.notOk(no.passed);
  t.equal(no.outcome, Outcome.Answered);
  t.equal(no.ctx.source, AnswerSource.Refused);
  t.equal(no.reply!.rcode, 5);
  t.equal(no.reply!.ede, 18);
  t.notOk(no.reply!.msg.flag_ra, 'no RA on the refusal');
  t.equal(no.reply!.msg.questions![0]!.name, 'www.example.com', 'question echoed');
});

t.test('RA on authoritative answers follows each client, never the memo (regression)', async (t) => {
  // recursion.allow 127.0.0.1/32 with forwarding configured: .1 may recurse, .2 may not. The
  // authoritative answers are memoised per name; RA must still be each client's own.
  const p = await pipelineFromYaml(`
zones: [{ name: home.lan., file: home.lan.zone }]
recursion: { allow: [127.0.0.1/32] }
forward: { upstreams: [{ address: 192.0.2.53 }] }
`, { baseDir: join(ROOT, 'test', 'fixtures', 'views') });
  t.teardown(() => p.close());
  const ask = async (name: string, address: string) => {
    const a = await p.send(query(name, 'A'), address);
    return dnsPacket.decode(a!.wire);
  };
  for (const [name, first, second] of [['router.home.lan', '127.0.0.1', '127.0.0.2'], ['ns1.home.lan', '127.0.0.2', '127.0.0.1']] as const) {
    const r1 = await ask(name, first);
    const r2 = await ask(name, second);
    for (const [r, who] of [[r1, first], [r2, second]] as const) {
      t.ok(r.flag_aa, `${name} from ${who}: authoritative`);
      t.equal(r.flag_ra, who === '127.0.0.1', `${name} from ${who}: RA ${who === '127.0.0.1' ? 'set' : 'clear'}`);
    }
  }
  const refused = await p.send(query('www.example.com', 'A'), '127.0.0.2');
  t.equal(refused!.wire[3]! & 0x0f, 5, 'and the client without RA is refused recursion');
});
