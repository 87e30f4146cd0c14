import t from 'tap';
import { QueryContext, TransportKind, type ReplySink } from '../../../src/pipeline/context.js';
import { errorResponse, Responder } from '../../../src/pipeline/responder.js';
import { Outcome, Stage } from '../../../src/pipeline/stage.js';
import { TsigStage } from '../../../src/pipeline/stages/tsig.js';
import { TsigSigner } from '../../../src/tsig/signer.js';
import { QueryStats } from '../../../src/observability/query-stats.js';
import { Keyring, TsigKey } from '../../../src/tsig/keyring.js';
import { locateTsig, parseTsig } from '../../../src/tsig/record.js';
import { signRequest } from '../../../src/tsig/sign.js';
import { verifyResponse } from '../../../src/tsig/verify.js';
import { TsigCounters } from '../../../src/tsig/metrics.js';
import { RCode } from '../../../src/wire/constants.js';
import dnsPacket from 'dns-packet';

function query(name: string, type: 'A', o: { edns?: boolean } = {}): Buffer {
  return dnsPacket.encode({
    type: 'query', id: 0x1234, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }],
    additionals: o.edns === false ? [] : [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0 } as never],
  });
}

const SECRET = 'aG9yaXpvbmQgdHNpZyBzdGFnZSB0ZXN0IHNlY3JldA==';
const key = new TsigKey({ name: 'k.', algorithm: 'hmac-sha256', secret: SECRET });
const NOW = 1_800_000_000;

class Sink implements ReplySink {
  readonly wires: Buffer[] = [];
  reply(_c: QueryContext, w: Buffer): void { this.wires.push(w); }
  dropped(): void { /* not expected */ }
}

/** Answers NOERROR with the question echoed, through the responder (so the signer runs). */
class Answer extends Stage {
  readonly name = 'answer';
  calls = 0;
  seen: unknown = null;
  constructor(readonly out: Responder) { super(); }
  handle(ctx: QueryContext): Outcome {
    this.calls++;
    this.seen = ctx.tsig;
    this.out.send(ctx, errorResponse(ctx, RCode.NoError));
    return Outcome.Answered;
  }
}

function setup(clock = NOW) {
  const counters = new TsigCounters();
  const now = () => clock;
  const out = new Responder({ udpPayloadSize: 1232, stats: new QueryStats(), signer: new TsigSigner(now) });
  const stage = new TsigStage(out, new Keyring([key]), { now, counters });
  const next = new Answer(out);
  stage.next = next;
  const sink = new Sink();
  const run = (msg: Buffer) => {
    const ctx = new QueryContext();
    ctx.reset(msg, '127.0.0.1', 5353, 4, TransportKind.Udp, sink, null, performance.now());
    ctx.q.parse(msg);
    ctx.maxSize = 1232;
    stage.handle(ctx);
    return { reply: sink.wires.at(-1)!, ctx };
  };
  return { run, next, counters, out };
}

t.test('unsigned messages pass untouched and get unsigned answers', async (t) => {
  const s = setup();
  const { reply, ctx } = s.run(query('www.example.', 'A', { edns: false }));
  t.equal(s.next.calls, 1);
  t.equal(ctx.tsig, null);
  t.equal(locateTsig(reply), -1, 'no TSIG in the reply');
});

t.test('a signed query verifies, reaches the next stage and its answer is signed with the request MAC', async (t) => {
  const s = setup();
  const req = signRequest(query('www.example.', 'A'), key, NOW);
  const { reply } = s.run(req.wire);
  t.equal(s.next.calls, 1);
  t.equal((s.next.seen as { status: string }).status, 'ok');
  t.equal(verifyResponse(reply, key, req.mac, NOW).status, 'ok');
  t.equal(s.counters.verified, 1);
  t.equal(reply.readUInt16BE(10), 2, 'OPT echoed, then the TSIG record last');
});

t.test('unknown key: NOTAUTH + BADKEY, unsigned; the next stage never sees it', async (t) => {
  const s = setup();
  const other = new TsigKey({ name: 'nobody.', algorithm: 'hmac-sha256', secret: SECRET });
  const { reply } = s.run(signRequest(query('www.example.', 'A', { edns: false }), other, NOW).wire);
  t.equal(s.next.calls, 0);
  t.equal(reply[3]! & 0xf, RCode.NotAuth);
  const rec = parseTsig(reply, locateTsig(reply))!;
  t.equal(rec.error, RCode.BadKey);
  t.equal(rec.mac.length, 0, 'unsigned');
  t.equal(rec.keyName, 'nobody.', 'echoes the key name');
  t.equal(s.counters.failures.badkey, 1);
});

t.test('wrong secret: NOTAUTH + BADSIG, unsigned', async (t) => {
  const s = setup();
  const wrong = new TsigKey({ name: 'k.', algorithm: 'hmac-sha256', secret: 'd3Jvbmcgc2VjcmV0IGZvciB0ZXN0aW5n' });
  const { reply } = s.run(signRequest(query('www.example.', 'A', { edns: false }), wrong, NOW).wire);
  t.equal(s.next.calls, 0);
  t.equal(reply[3]! & 0xf, RCode.NotAuth);
  const rec = parseTsig(reply, locateTsig(reply))!;
  t.equal(rec.error, RCode.BadSig);
  t.equal(rec.mac.length, 0);
});

t.test('outside the fudge: NOTAUTH + BADTIME, signed, carrying our time', async (t) => {
  const s = setup(NOW + 301);
  const req = signRequest(query('www.example.', 'A', { edns: false }), key, NOW);
  const { reply } = s.run(req.wire);
  t.equal(s.next.calls, 0);
  t.equal(reply[3]! & 0xf, RCode.NotAuth);
  const v = verifyResponse(reply, key, req.mac, NOW);
  t.equal(v.status, 'badtime', 'the MAC verifies; the error field says BADTIME');
  t.equal(v.timeSigned, NOW, 'Time Signed echoes the request');
  t.equal(v.otherData.readUIntBE(0, 6), NOW + 301, 'Other Data holds the server time');
  t.equal(s.counters.failures.badtime, 1);
});

t.test('reserve() is exactly what sign() appends for a verified request', async (t) => {
  const s = setup();
  const signer = new TsigSigner(() => NOW);
  const req = signRequest(query('www.example.', 'A', { edns: false }), key, NOW);
  const { ctx, reply } = s.run(req.wire);
  const bare = errorResponse(ctx, 0);
  t.equal(signer.reserve(ctx), reply.length - bare.length);
  t.equal(signer.sign(ctx, bare).length, reply.length);
});

t.test('reserve() matches the BADTIME and BADKEY records too', async (t) => {
  const signer = new TsigSigner(() => NOW + 400);
  const s = setup(NOW + 400);
  const late = s.run(signRequest(query('www.example.', 'A', { edns: false }), key, NOW).wire);
  t.equal(signer.reserve(late.ctx), late.reply.length - errorResponse(late.ctx, RCode.NotAuth).length);
  const other = new TsigKey({ name: 'some.other.key.', algorithm: 'hmac-sha512', secret: SECRET });
  const bad = s.run(signRequest(query('www.example.', 'A', { edns: false }), other, NOW + 400).wire);
  t.equal(signer.reserve(bad.ctx), bad.reply.length - errorResponse(bad.ctx, RCode.NotAuth).length);
});
