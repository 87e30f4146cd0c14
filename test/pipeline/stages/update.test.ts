import t from 'tap';
import { NextProbe } from '../../helpers/stage.js';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { parseConfig } from '../../../src/config/index.js';
import { createLogger } from '../../../src/observability/log.js';
import { QueryStats } from '../../../src/observability/query-stats.js';
import { AnswerSource, QueryContext, TransportKind, type ReplySink } from '../../../src/pipeline/context.js';
import { Responder } from '../../../src/pipeline/responder.js';
import { Outcome } from '../../../src/pipeline/stage.js';
import { TsigStage } from '../../../src/pipeline/stages/tsig.js';
import { TsigSigner, keyringFromConfig } from '../../../src/tsig/signer.js';
import { UpdateStage } from '../../../src/pipeline/stages/update.js';
import { TsigKey } from '../../../src/tsig/keyring.js';
import { signRequest } from '../../../src/tsig/sign.js';
import { verifyResponse } from '../../../src/tsig/verify.js';
import { UpdateManager } from '../../../src/update/manager.js';
import { RClass, RCode, RRType } from '../../../src/wire/constants.js';
import { loadZones } from '../../../src/zone/catalog.js';
import { ZoneStore } from '../../../src/zone/store.js';
import { buildUpdate, rec } from '../../fixtures/kea/update-client.js';

const TMP = mkdtempSync(join(tmpdir(), 'horizond-update-test-'));
t.teardown(() => rmSync(TMP, { recursive: true, force: true }));

const SECRET = 'aG9yaXpvbmQgdXBkYXRlIHN0YWdlIHRlc3Q=';
const dir = mkdtempSync(join(TMP, 'horizond-ustage-'));
const soa = (o: string): string => `$ORIGIN ${o}\n@ SOA ns.${o} h.${o} 7 3600 600 86400 60\n@ NS ns.${o}\nns.${o} A 192.0.2.1\n`;
writeFileSync(join(dir, 'a.zone'), soa('a.test.'));
writeFileSync(join(dir, 'b.zone'), soa('b.test.'));
const config = parseConfig(`server: { dataDir: data }
keys: [ { name: k., secret: "${SECRET}" } ]
zones:
  - { name: a.test., file: a.zone, update: { preset: none, keys: [k.], networks: [127.0.0.1], rules: [ { name: { zone: true }, types: [A] } ] } }
  - { name: b.test., file: b.zone }
`, join(dir, 'h.yaml'), dir);
const log = createLogger('silent');
const manager = new UpdateManager({ dataDir: config.server.dataDir, log });
const store = new ZoneStore(manager.adopt(config.zones, loadZones(config.zones, log).zones));
manager.attach(store);
t.teardown(() => manager.close());
const key = new TsigKey({ name: 'k.', algorithm: 'hmac-sha256', secret: SECRET });


const out = new Responder({ udpPayloadSize: 1232, stats: new QueryStats(), signer: new TsigSigner() });
const tsig = new TsigStage(out, keyringFromConfig(config.keys));
const stage = new UpdateStage(out, manager);
const next = new NextProbe();
tsig.next = stage;
stage.next = next;

function run(msg: Buffer): Promise<{ outcome: Outcome; reply: Buffer; ctx: QueryContext }> {
  return new Promise((resolve) => {
    let outcome: Outcome = Outcome.Pending;
    const sink: ReplySink = {
      reply: (c, w) => setImmediate(() => resolve({ outcome, reply: w, ctx: c })),
      dropped: () => { throw new Error('dropped'); },
    };
    const ctx = new QueryContext();
    ctx.reset(msg, '127.0.0.1', 5000, 4, TransportKind.Udp, sink, null, performance.now());
    ctx.q.parse(msg);
    outcome = tsig.handle(ctx);
  });
}
const rcode = (w: Buffer): number => w[3]! & 0xf;

t.test('queries go on down the chain; updates never do', async (t) => {
  const q = dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'A', name: 'ns.a.test', class: 'IN' }] });
  const ctx = new QueryContext();
  ctx.reset(q, '127.0.0.1', 5000, 4, TransportKind.Udp, { reply() {}, dropped() {} }, null, 0);
  ctx.q.parse(q);
  stage.handle(ctx);
  t.equal(next.seen.length, 1);
  await run(signRequest(buildUpdate('a.test.', [], [rec('pc.a.test. 60 IN A 192.0.2.5')]), key, Date.now() / 1000).wire);
  t.equal(next.seen.length, 1);
});

t.test('a signed update is applied, answered NOERROR after the commit, signed, zone echoed', async (t) => {
  const req = signRequest(buildUpdate('a.test.', [], [rec('pc2.a.test. 60 IN A 192.0.2.6')], { id: 4242 }), key, Date.now() / 1000);
  const { outcome, reply, ctx } = await run(req.wire);
  t.equal(outcome, Outcome.Pending, 'answered asynchronously');
  t.equal(rcode(reply), RCode.NoError);
  t.equal(reply.readUInt16BE(0), 4242);
  t.equal((reply[2]! >> 3) & 0xf, 5, 'opcode UPDATE');
  t.ok(reply[2]! & 0x80, 'QR');
  t.equal(reply.readUInt16BE(4), 1, 'ZOCOUNT 1');
  t.equal(verifyResponse(reply, key, req.mac, Date.now() / 1000).status, 'ok');
  t.equal(ctx.source, AnswerSource.Update);
  t.ok(store.get('a.test.')!.rrset('pc2.a.test.', RRType.A));
});

t.test('zone section: FORMERR, NOTAUTH, REFUSED', async (t) => {
  const now = Date.now() / 1000;
  const send = async (m: Buffer) => rcode((await run(signRequest(m, key, now).wire)).reply);
  t.equal(await send(buildUpdate('a.test.', [], [], { zoneType: RRType.A })), RCode.FormErr, 'ZTYPE must be SOA');
  t.equal(await send(buildUpdate('nowhere.test.', [], [])), RCode.NotAuth, 'a zone we do not serve');
  t.equal(await send(buildUpdate('ns.a.test.', [], [])), RCode.NotAuth, 'a name inside a zone is not a zone');
  t.equal(await send(buildUpdate('a.test.', [], [], { zoneClass: RClass.CH })), RCode.NotAuth, 'wrong class');
  t.equal(await send(buildUpdate('b.test.', [], [rec('x.b.test. 60 IN A 192.0.2.1')])), RCode.Refused, 'served, but takes no updates');
  const broken = buildUpdate('a.test.', [], [rec('pc3.a.test. 60 IN A 192.0.2.7')]);
  broken.writeUInt16BE(broken.readUInt16BE(8) + 1, 8); // claims one more update record than it has
  t.equal(await send(broken), RCode.FormErr);
  t.equal(manager.counters.refused.notauth, 3);
  t.equal(manager.counters.refused.disabled, 1);
});

t.test('a replayed signed update is answered NOTAUTH/BADTIME and not applied again', async (t) => {
  const req = signRequest(buildUpdate('a.test.', [], [rec('once.a.test. 60 IN A 192.0.2.8')]), key, Date.now() / 1000);
  t.equal(rcode((await run(req.wire)).reply), RCode.NoError);
  const serial = store.get('a.test.')!.serial;
  const again = await run(req.wire);
  t.equal(rcode(again.reply), RCode.NotAuth);
  const v = verifyResponse(again.reply, key, req.mac, Date.now() / 1000);
  t.equal(v.status, 'badtime', 'signed, with the BADTIME error');
  t.equal(store.get('a.test.')!.serial, serial);
  t.equal(manager.counters.refused.replay, 1);
});
