import t from 'tap';
import dnsPacket from 'dns-packet';
import { Keyring, TsigKey } from '../../src/tsig/keyring.js';
import { TSIG_ALGORITHMS } from '../../src/tsig/algorithms.js';
import { signContinuation, signRequest, signResponse } from '../../src/tsig/sign.js';
import { verifyContinuation, verifyRequest, verifyResponse } from '../../src/tsig/verify.js';
import { buildTsigError, signReply, stripTsig, tsigRcode } from '../../src/tsig/reply.js';
import { parseTsig } from '../../src/tsig/record.js';
import { MAX_UNSIGNED_IN_ROW, TsigStreamSigner, TsigStreamVerifier } from '../../src/tsig/stream.js';

const NOW = 1_700_000_000;
const SECRET = Buffer.from('an example shared secret');
const key = new TsigKey({ name: 'kea-ddns.', algorithm: 'hmac-sha256', secret: SECRET });
const ring = new Keyring([key]);

function update(id = 77): Buffer {
  return dnsPacket.encode({
    type: 'query', id, opcode: 'UPDATE', flags: 5 << 11,
    questions: [{ type: 'SOA', name: 'home.lan' }],
    authorities: [{ type: 'A', name: 'host1.home.lan', ttl: 300, data: '192.168.1.10' }],
  } as dnsPacket.Packet);
}

function answerFor(request: Buffer, rcode = 0, records = 0): Buffer {
  const q = dnsPacket.decode(request);
  const answers: dnsPacket.Answer[] = [];
  for (let i = 0; i < records; i++) answers.push({ type: 'A', name: `h${i}.home.lan`, ttl: 60, data: `192.0.2.${i % 250}` });
  return dnsPacket.encode({ type: 'response', id: q.id, flags: (request.readUInt16BE(2) & 0x7800) | rcode, questions: q.questions, answers });
}

function header(b: Buffer): { id: number; qr: boolean; opcode: number; rcode: number; qd: number; ar: number } {
  const f = b.readUInt16BE(2);
  return { id: b.readUInt16BE(0), qr: (f & 0x8000) !== 0, opcode: (f >> 11) & 15, rcode: f & 15, qd: b.readUInt16BE(4), ar: b.readUInt16BE(10) };
}

/** The server side: verify, answer, sign; the client side: verify the reply. */
function roundTrip(req: { wire: Buffer; mac: Buffer }, serverNow: number, tamper = false) {
  const v = verifyRequest(req.wire, ring, serverNow);
  const reply = v.status === 'ok' || v.status === 'unsigned'
    ? signReply(answerFor(stripTsig(req.wire, v)), v, serverNow)
    : buildTsigError(req.wire, v, serverNow);
  if (tamper) reply[14]! ^= 1;
  return { v, reply, client: verifyResponse(reply, key, req.mac, NOW) };
}

t.test('a reply signed over the request MAC verifies; every algorithm', async (t) => {
  for (const alg of TSIG_ALGORITHMS) {
    const k = new TsigKey({ name: 'kea-ddns.', algorithm: alg.id, secret: SECRET });
    const req = signRequest(update(), k, NOW);
    const resp = signResponse(answerFor(update()), k, req.mac, { now: NOW + 2 });
    const r = verifyResponse(resp.wire, k, req.mac, NOW);
    t.equal(r.status, 'ok', alg.id);
    t.same(r.mac, resp.mac);
    t.equal(verifyResponse(resp.wire, k, Buffer.alloc(alg.size), NOW).status, 'badsig', `${alg.id}: bound to the request MAC`);
  }
});

t.test('server round trip: ok, tampered reply, unsigned reply, reply from another key', async (t) => {
  const req = signRequest(update(), key, NOW);
  const ok = roundTrip(req, NOW);
  t.equal(ok.v.status, 'ok');
  t.equal(ok.client.status, 'ok');
  t.equal(roundTrip(req, NOW, true).client.status, 'badsig', 'a flipped bit in the reply is caught');
  t.equal(verifyResponse(answerFor(update()), key, req.mac, NOW).status, 'unsigned', 'unsigned reply (Kea treats it as invalid)');
  const other = new TsigKey({ name: 'other.', algorithm: 'hmac-sha256', secret: SECRET });
  const foreign = signResponse(answerFor(update()), other, req.mac, { now: NOW });
  t.equal(verifyResponse(foreign.wire, key, req.mac, NOW).status, 'badkey');
  t.equal(verifyResponse(ok.reply, key, req.mac, NOW + 301).status, 'badtime', 'the client checks the reply time too');
});

t.test('BADSIG and BADKEY replies: NOTAUTH, unsigned TSIG carrying the error', async (t) => {
  const wrong = new TsigKey({ name: 'kea-ddns.', algorithm: 'hmac-sha256', secret: Buffer.from('wrong') });
  const req = signRequest(update(0x0102), wrong, NOW);
  const { v, reply } = roundTrip(req, NOW);
  t.equal(v.status, 'badsig');
  t.same(header(reply), { id: 0x0102, qr: true, opcode: 5, rcode: 9, qd: 1, ar: 1 });
  const tsig = parseTsig(reply, verifyResponse(reply, key, req.mac, NOW).tsigOffset)!;
  t.equal(tsig.mac.length, 0, 'no MAC');
  t.equal(tsig.error, 16);
  t.equal(verifyResponse(reply, wrong, req.mac, NOW).status, 'badsig', 'the client sees BADSIG');

  const stranger = new TsigKey({ name: 'Stranger.Example.', algorithm: 'hmac-sha512', secret: SECRET });
  const req2 = signRequest(update(), stranger, NOW);
  const bk = roundTrip(req2, NOW);
  t.equal(bk.v.status, 'badkey');
  const t2 = parseTsig(bk.reply, verifyResponse(bk.reply, stranger, req2.mac, NOW).tsigOffset)!;
  t.same([t2.keyName, t2.algorithm, t2.error, t2.mac.length], ['stranger.example.', 'hmac-sha512.', 17, 0], 'names echoed');
  t.equal(verifyResponse(bk.reply, stranger, req2.mac, NOW).status, 'badkey');
  t.equal(header(bk.reply).rcode, 9);
});

t.test('BADTIME reply: NOTAUTH, signed, request time echoed, our time in Other Data', async (t) => {
  const req = signRequest(update(), key, NOW);
  const serverNow = NOW + 3600;
  const { v, reply, client } = roundTrip(req, serverNow);
  t.equal(v.status, 'badtime');
  t.equal(header(reply).rcode, 9);
  t.equal(client.status, 'badtime', 'MAC verified, error BADTIME');
  t.equal(client.error, 18);
  t.equal(client.timeSigned, NOW, 'Time Signed repeats the request');
  t.equal(client.otherData.length, 6);
  t.equal(client.otherData.readUIntBE(0, 6), serverNow);
  const forged = Buffer.from(reply);
  forged[forged.length - 1]! ^= 1;
  t.equal(verifyResponse(forged, key, req.mac, NOW).status, 'badsig', 'the server time is authenticated');
});

t.test('BADTRUNC reply is signed; truncated request MACs shape the reply MAC', async (t) => {
  const short = new TsigKey({ name: 'kea-ddns.', algorithm: 'hmac-sha256-128', secret: SECRET });
  const req = signRequest(update(), short, NOW);
  const v = verifyRequest(req.wire, ring, NOW);
  t.equal(v.status, 'badtrunc');
  const reply = buildTsigError(req.wire, v, NOW);
  const c = verifyResponse(reply, short, req.mac, NOW);
  t.equal(c.status, 'badtrunc');
  t.equal(c.error, 22);
  t.equal(c.mac.length, 32, 'signed with the full MAC our key uses');

  const lenient = new Keyring([short]);
  const full = signRequest(update(), key, NOW);
  const v2 = verifyRequest(full.wire, lenient, NOW);
  const reply2 = signReply(answerFor(update()), v2, NOW);
  const c2 = verifyResponse(reply2, key, full.mac, NOW);
  t.equal(c2.status, 'ok', 'a full-length client accepts our reply');
  t.equal(c2.mac.length, 32, 'reply MAC as long as the request MAC, not truncated to our 128 bits');
  const v3 = verifyRequest(req.wire, lenient, NOW);
  t.equal(signResponse(answerFor(update()), v3.key!, v3.mac, { now: NOW }).mac.length, 16, 'truncated both ways');
});

t.test('FORMERR reply has no TSIG; other header bits', async (t) => {
  const req = signRequest(update(9), key, NOW);
  const broken = Buffer.concat([req.wire, Buffer.from([0])]);
  const v = verifyRequest(broken, ring, NOW);
  t.equal(v.status, 'formerr');
  const reply = buildTsigError(broken, v, NOW);
  t.same(header(reply), { id: 9, qr: true, opcode: 5, rcode: 1, qd: 1, ar: 0 });
  t.equal(reply.length, 12 + 'home.lan.'.length + 1 + 4, 'header and zone section only');
  const junk = Buffer.from([0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1, 0xff]);
  const r = buildTsigError(junk, verifyRequest(junk, ring, NOW), NOW);
  t.same(header(r), { id: 0xabcd, qr: true, opcode: 0, rcode: 1, qd: 0, ar: 0 }, 'unparseable question is dropped');
  t.equal(r.readUInt16BE(2) & 0x0100, 0x0100, 'RD copied');
  t.same([tsigRcode('ok'), tsigRcode('unsigned'), tsigRcode('formerr'), tsigRcode('badkey'), tsigRcode('badtime')], [0, 0, 1, 9, 9]);
  t.equal(signReply(answerFor(update()), verifyRequest(update(), ring, NOW), NOW).readUInt16BE(10), 0, 'unsigned request, unsigned reply');
});

t.test('TCP streams: MAC chaining, unsigned intermediates, failures', async (t) => {
  const req = signRequest(update(), key, NOW);
  const msgs = [1, 2, 3, 4, 5, 6].map((n) => answerFor(update(), 0, n));

  const signer = new TsigStreamSigner(key, req.mac);
  const wire = msgs.map((m, i) => (i === 2 || i === 3 ? signer.skip(m) : signer.sign(m, NOW + i)));
  const verifier = new TsigStreamVerifier(key, req.mac);
  t.same(wire.map((w) => verifier.next(w, NOW).status), ['ok', 'ok', 'unsigned', 'unsigned', 'ok', 'ok']);
  t.ok(verifier.complete);

  const first = signResponse(msgs[0]!, key, req.mac, { now: NOW });
  const second = signContinuation(msgs[1]!, key, first.mac, { now: NOW });
  t.equal(verifyContinuation(second.wire, key, first.mac, NOW).status, 'ok');
  t.equal(verifyResponse(second.wire, key, first.mac, NOW).status, 'badsig', 'continuations use the timers-only layout');
  t.equal(verifyContinuation(second.wire, key, req.mac, NOW).status, 'badsig', 'chained to the previous MAC');

  const reordered = new TsigStreamVerifier(key, req.mac);
  t.same([wire[0]!, wire[4]!, wire[1]!].map((w) => reordered.next(w, NOW).status), ['ok', 'badsig', 'badsig']);
  t.notOk(reordered.complete);

  const dropped = new TsigStreamVerifier(key, req.mac);
  t.same([wire[0], wire[1], wire[2], wire[4]].map((w) => dropped.next(w!, NOW).status), ['ok', 'ok', 'unsigned', 'badsig'], 'a lost unsigned message is detected');

  const unsignedFirst = new TsigStreamVerifier(key, req.mac);
  t.equal(unsignedFirst.next(msgs[0]!, NOW).status, 'formerr', 'the first message must be signed');

  const endsUnsigned = new TsigStreamVerifier(key, req.mac);
  endsUnsigned.next(wire[0]!, NOW);
  endsUnsigned.next(wire[1]!, NOW);
  t.equal(endsUnsigned.next(msgs[2]!, NOW).status, 'unsigned');
  t.notOk(endsUnsigned.complete, 'a stream ending unsigned is incomplete');

  const long = new TsigStreamSigner(key, req.mac);
  const lv = new TsigStreamVerifier(key, req.mac);
  t.equal(lv.next(long.sign(msgs[0]!, NOW), NOW).status, 'ok');
  for (let i = 0; i < MAX_UNSIGNED_IN_ROW; i++) t.equal(lv.next(long.skip(msgs[1]!), NOW).status, 'unsigned');
  t.throws(() => long.skip(msgs[1]!), /more than 99/);
  t.equal(lv.next(long.sign(msgs[2]!, NOW), NOW).status, 'ok', '99 unsigned in a row are fine');
  t.equal(lv.next(msgs[3]!, NOW).status, 'unsigned');
  const tooMany = new TsigStreamVerifier(key, req.mac);
  tooMany.next(wire[0]!, NOW);
  const statuses = new Set<string>();
  for (let i = 0; i <= MAX_UNSIGNED_IN_ROW; i++) statuses.add(tooMany.next(msgs[1]!, NOW).status);
  t.same([...statuses], ['unsigned', 'formerr'], 'the 100th unsigned message fails the stream');
  t.throws(() => new TsigStreamSigner(key, req.mac).skip(msgs[0]!), /first message/);
});
