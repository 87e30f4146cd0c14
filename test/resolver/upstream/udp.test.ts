import t, { type Test } from 'tap';
import { RRType } from '../../../src/wire/constants.js';
import { decodeMessage } from '../../../src/wire/message.js';
import { UpstreamError, UpstreamGroup, type UpstreamQuestion } from '../../../src/resolver/upstream/index.js';
import { aRecord, answerAddresses, FakeUpstream, SPOOF_ADDRESS } from '../../helpers/fake-upstream.js';

const q = (qname: string, extra: Partial<UpstreamQuestion> = {}): UpstreamQuestion =>
  ({ qname, qtype: RRType.A, qclass: 1, do: false, cd: false, ...extra });

async function setup(t: Test, timeoutMs = 300): Promise<{ up: FakeUpstream; g: UpstreamGroup }> {
  const up = await FakeUpstream.start();
  const g = new UpstreamGroup([{ name: 'fake', address: up.address, port: up.port, protocol: 'udp' }], { timeoutMs, attempts: 1 });
  t.teardown(async () => { await g.close(); await up.close(); });
  return { up, g };
}

t.test('query carries RD, EDNS 1232 and DO/CD as asked; the answer comes back as received', async (t) => {
  const { up, g } = await setup(t);
  up.set('www.example.', { answer: [aRecord('www.example.', '192.0.2.1', 123)], ad: true });
  const r = await g.query(q('www.example.', { do: true, cd: true }), 1000);
  t.equal(r.upstream, 'fake');
  t.ok(r.rttMs >= 0 && r.rttMs < 1000);
  const m = decodeMessage(r.wire);
  t.same(answerAddresses(r.wire), ['192.0.2.1']);
  t.equal(m.answer[0]!.ttl, 123, 'TTL untouched');
  t.ok(m.ad && m.cd, 'AD and CD bits as the upstream sent them');
  const got = up.received[0]!;
  t.match(got, { transport: 'udp', qname: 'www.example.', qtype: RRType.A, rd: true, cd: true, udpSize: 1232, do: true });
  t.equal(got.message.edns?.version, 0);

  await g.query(q('www.example.'), 1000);
  t.match(up.received[1], { cd: false, do: false, udpSize: 1232, rd: true });
});

t.test('IDs are random and source ports keep changing', async (t) => {
  const { up, g } = await setup(t);
  up.setDefault({ answer: [] });
  for (let i = 0; i < 40; i++) await g.query(q(`n${i}.example.`), 1000);
  const ids = up.received.map((r) => r.id);
  const ports = up.received.map((r) => r.port);
  t.ok(new Set(ids).size >= 38, `distinct IDs: ${new Set(ids).size} of 40`);
  let sequential = 0;
  for (let i = 1; i < ids.length; i++) if (ids[i] === ((ids[i - 1]! + 1) & 0xffff)) sequential++;
  t.ok(sequential < 3, 'IDs are not a counter');
  // a socket serves at most 8 queries, so 40 queries use at least 5 sockets; the kernel may hand
  // a port that was just released to a later socket again, so allow one repeat
  t.ok(new Set(ports).size >= 4, `distinct source ports: ${new Set(ports).size}`);
  const inRun = new Set(ports.slice(0, 9));
  t.ok(inRun.size >= 2, 'the 9th query already leaves from another port');

  up.received.length = 0;
  await Promise.all(Array.from({ length: 20 }, (_, i) => g.query(q(`c${i}.example.`), 1000)));
  t.ok(new Set(up.received.map((r) => r.port)).size >= 3, 'concurrent queries spread over several ports');
});

for (const kind of ['id', 'question', 'port'] as const) {
  t.test(`RFC 5452: a forged answer (${kind}) is ignored and counted, the real one accepted`, async (t) => {
    const { up, g } = await setup(t);
    up.set('bank.example.', { answer: [aRecord('bank.example.', '192.0.2.10')], spoof: [kind], delayMs: 40 });
    const r = await g.query(q('bank.example.'), 1000);
    t.same(answerAddresses(r.wire), ['192.0.2.10']);
    t.not(answerAddresses(r.wire)[0], SPOOF_ADDRESS);
    t.equal(g.stats()[0]!.rejected, 1);
  });
}

t.test('RFC 5452: only forged answers means a timeout, not a forged result', async (t) => {
  const { up, g } = await setup(t, 150);
  up.set('bank.example.', { spoof: ['id', 'question', 'port'], drop: true });
  const err = await g.query(q('bank.example.'), 1000).then(() => null, (e: unknown) => e);
  t.ok(err instanceof UpstreamError);
  t.equal((err as UpstreamError).code, 'HZ_ERR_UPSTREAM_TIMEOUT');
  t.equal(g.stats()[0]!.rejected, 3);
  t.equal(g.stats()[0]!.timeouts, 1);
});

t.test('the question is compared case-insensitively', async (t) => {
  const { up, g } = await setup(t);
  up.set('mixed.example.', { answer: [aRecord('MiXeD.example.', '192.0.2.3')], replyQuestion: 'mIxEd.EXAMPLE.' });
  const r = await g.query(q('MiXeD.Example.'), 1000);
  t.same(answerAddresses(r.wire), ['192.0.2.3']);
  t.equal(g.stats()[0]!.rejected, 0);
});

t.test('TC=1 over UDP is retried over TCP on the same server', async (t) => {
  const { up, g } = await setup(t);
  up.set('tc.example.', { answer: [aRecord('tc.example.', '192.0.2.4')], truncate: true });
  const r = await g.query(q('tc.example.'), 1000);
  t.same(answerAddresses(r.wire), ['192.0.2.4']);
  t.notOk(decodeMessage(r.wire).tc);
  t.equal(up.count('tc.example.', 'udp'), 1);
  t.equal(up.count('tc.example.', 'tcp'), 1);
  t.match(g.stats()[0], { truncated: 1, queries: 2, connections: 1 });

  // a real oversize answer: 120 A records do not fit 1232 bytes
  const many = Array.from({ length: 120 }, (_, i) => aRecord('big.example.', `198.51.100.${i}`));
  up.set('big.example.', { answer: many });
  const big = await g.query(q('big.example.'), 1000);
  t.equal(answerAddresses(big.wire).length, 120);
  t.equal(up.count('big.example.', 'tcp'), 1);
});
