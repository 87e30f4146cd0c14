import t from 'tap';
import { createHmac } from 'node:crypto';
import dnsPacket from 'dns-packet';
import { Keyring, TsigKey } from '../../src/tsig/keyring.js';
import { TSIG_ALGORITHMS } from '../../src/tsig/algorithms.js';
import { signRequest } from '../../src/tsig/sign.js';
import { verifyRequest, type TsigStatus } from '../../src/tsig/verify.js';
import { stripTsig } from '../../src/tsig/reply.js';
import { appendTsig, parseTsig } from '../../src/tsig/record.js';
import { nameToWire } from '../../src/wire/name.js';

const NOW = 1_700_000_000;
const SECRET = Buffer.from('0123456789abcdef0123456789abcdef');

function query(id = 0x1234, edns = false): Buffer {
  return dnsPacket.encode({
    type: 'query', id, flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: 'A', name: 'www.example.com' }],
    additionals: edns ? [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0, options: [] } as unknown as dnsPacket.Answer] : [],
  });
}

const ring = new Keyring(TSIG_ALGORITHMS.map((a) => ({ name: `${a.id}.key`, algorithm: a.id, secret: SECRET })));
const k256 = ring.get('hmac-sha256.key')!;

/** Rebuilds a signed request's TSIG record with some fields replaced. */
function resign(signed: Buffer, fields: Partial<Parameters<typeof appendTsig>[1]>): Buffer {
  const r = verifyRequest(signed, ring, NOW);
  const rec = parseTsig(signed, r.tsigOffset)!;
  const bare = stripTsig(signed, r);
  return appendTsig(bare, {
    keyWire: nameToWire(rec.keyName), algorithmWire: nameToWire(rec.algorithm), timeSigned: rec.timeSigned,
    fudge: rec.fudge, mac: rec.mac, originalId: rec.originalId, error: rec.error, otherData: rec.otherData, ...fields,
  });
}

t.test('every algorithm: a signed request verifies, and the result describes it', async (t) => {
  for (const alg of TSIG_ALGORITHMS) {
    const key = ring.get(`${alg.id}.key`)!;
    const msg = query(0x4242, true);
    const s = signRequest(msg, key, NOW);
    t.equal(s.mac.length, alg.size, `${alg.id}: full-length MAC`);
    const r = verifyRequest(s.wire, ring, NOW);
    t.equal(r.status, 'ok', alg.id);
    t.equal(r.key, key);
    t.same(r.mac, s.mac);
    t.equal(r.tsigOffset, msg.length);
    t.equal(r.originalId, 0x4242);
    t.equal(r.timeSigned, NOW);
    t.equal(r.fudge, 300);
    t.same(stripTsig(s.wire, r), msg, 'stripping the TSIG gives back the message as it was signed');
    t.equal(s.wire.readUInt16BE(10), 2, 'ARCOUNT counts OPT and TSIG');
  }
});

t.test('the MAC follows the RFC 8945 §4.3 layout (independent computation)', async (t) => {
  const msg = query(7);
  const s = signRequest(msg, k256, NOW, 300);
  const vars = Buffer.concat([
    nameToWire('hmac-sha256.key.'), Buffer.from([0, 255, 0, 0, 0, 0]), nameToWire('hmac-sha256.'),
    Buffer.from([0, 0, 0x65, 0x53, 0xf1, 0x00]), Buffer.from([0x01, 0x2c]), Buffer.from([0, 0, 0, 0]),
  ]);
  t.equal(NOW, 0x6553f100);
  const expected = createHmac('sha256', SECRET).update(msg).update(vars).digest();
  t.same(s.mac, expected);
});

t.test('any change to the signed bytes is BADSIG', async (t) => {
  const s = signRequest(query(), k256, NOW);
  const tsigAt = query().length;
  for (const at of [2, 3, 13, 20, tsigAt - 1]) {
    const bad = Buffer.from(s.wire);
    bad[at]! ^= 0x01;
    t.equal(verifyRequest(bad, ring, NOW).status, 'badsig', `byte ${at} flipped`);
  }
  const badMac = Buffer.from(s.wire);
  badMac[badMac.length - 10]! ^= 0x80;
  t.equal(verifyRequest(badMac, ring, NOW).status, 'badsig', 'MAC byte flipped');
  t.equal(verifyRequest(resign(s.wire, { timeSigned: NOW + 1 }), ring, NOW).status, 'badsig', 'time signed is covered');
  t.equal(verifyRequest(resign(s.wire, { fudge: 3600 }), ring, NOW).status, 'badsig', 'fudge is covered');
  t.equal(verifyRequest(resign(s.wire, { otherData: Buffer.from([1]) }), ring, NOW).status, 'badsig', 'other data is covered');
});

t.test('names are compared and digested in canonical form; the original ID is restored', async (t) => {
  const s = signRequest(query(0x1111), k256, NOW);
  const upper = resign(s.wire, { keyWire: nameToWire('HMAC-SHA256.Key.'), algorithmWire: nameToWire('HMAC-SHA256.') });
  t.equal(verifyRequest(upper, ring, NOW).status, 'ok', 'upper-case key and algorithm names');
  const forwarded = Buffer.from(s.wire);
  forwarded.writeUInt16BE(0x9999, 0);
  const r = verifyRequest(forwarded, ring, NOW);
  t.equal(r.status, 'ok', 'a middlebox changed the ID');
  t.equal(r.originalId, 0x1111);
});

t.test('unknown key or algorithm is BADKEY', async (t) => {
  const other = new TsigKey({ name: 'stranger.', algorithm: 'hmac-sha256', secret: SECRET });
  const r = verifyRequest(signRequest(query(), other, NOW).wire, ring, NOW);
  t.equal(r.status, 'badkey');
  t.equal(r.key, null);
  t.equal(r.keyName, 'stranger.');
  t.equal(r.algorithm, 'hmac-sha256.');
  const wrongAlg = new TsigKey({ name: 'hmac-sha256.key.', algorithm: 'hmac-sha512', secret: SECRET });
  t.equal(verifyRequest(signRequest(query(), wrongAlg, NOW).wire, ring, NOW).status, 'badkey', 'known name, other algorithm');
  const wrongSecret = new TsigKey({ name: 'hmac-sha256.key.', algorithm: 'hmac-sha256', secret: Buffer.from('nope') });
  t.equal(verifyRequest(signRequest(query(), wrongSecret, NOW).wire, ring, NOW).status, 'badsig', 'known key, wrong secret');
});

t.test('time window is Time Signed ± the request fudge, checked after the MAC', async (t) => {
  const s = signRequest(query(), k256, NOW);
  t.equal(verifyRequest(s.wire, ring, NOW + 300).status, 'ok');
  t.equal(verifyRequest(s.wire, ring, NOW - 300).status, 'ok');
  t.equal(verifyRequest(s.wire, ring, NOW + 301).status, 'badtime');
  t.equal(verifyRequest(s.wire, ring, NOW - 301).status, 'badtime');
  const tight = signRequest(query(), k256, NOW, 10);
  t.equal(verifyRequest(tight.wire, ring, NOW + 11).status, 'badtime');
  const r = verifyRequest(s.wire, ring, NOW + 1000);
  t.equal(r.key, k256, 'badtime still names the key (the reply is signed)');
  const forged = Buffer.from(s.wire);
  forged[forged.length - 8]! ^= 1;
  t.equal(verifyRequest(forged, ring, NOW + 1000).status, 'badsig', 'a bad MAC never reveals a time problem');
});

t.test('MAC truncation rules (RFC 8945 §5.2.2.1, §5.2.4)', async (t) => {
  const short = new TsigKey({ name: 'hmac-sha256.key.', algorithm: 'hmac-sha256-128', secret: SECRET });
  const s = signRequest(query(), short, NOW);
  t.equal(s.mac.length, 16);
  t.equal(verifyRequest(s.wire, ring, NOW).status, 'badtrunc', 'valid truncated MAC, but local policy wants 32');
  const lenient = new Keyring([short]);
  t.equal(verifyRequest(s.wire, lenient, NOW).status, 'ok', 'policy allows 128 bits');
  const full = signRequest(query(), k256, NOW);
  t.equal(verifyRequest(full.wire, lenient, NOW).status, 'ok', 'a longer MAC than the policy minimum is fine');
  const wrong = resign(s.wire, { mac: Buffer.alloc(16, 7) });
  t.equal(verifyRequest(wrong, ring, NOW).status, 'badsig', 'a wrong truncated MAC is BADSIG, not BADTRUNC');
  t.equal(verifyRequest(wrong, ring, NOW + 1000).status, 'badsig');
  t.equal(verifyRequest(resign(full.wire, { mac: full.mac.subarray(0, 15) }), lenient, NOW).status, 'formerr', 'below half the hash');
  t.equal(verifyRequest(resign(full.wire, { mac: Buffer.concat([full.mac, Buffer.from([0])]) }), ring, NOW).status, 'formerr', 'longer than the hash');
  t.equal(verifyRequest(resign(full.wire, { mac: Buffer.alloc(0) }), ring, NOW).status, 'formerr', 'empty MAC on a request');
  const md5 = ring.get('hmac-md5.key')!;
  const m = signRequest(query(), md5, NOW);
  const md5ring = new Keyring([{ name: 'hmac-md5.key', algorithm: 'hmac-md5', secret: SECRET, digestBits: 80 }]);
  t.equal(verifyRequest(resign(m.wire, { mac: m.mac.subarray(0, 10) }), md5ring, NOW).status, 'ok', 'md5 to 10 octets');
  t.equal(verifyRequest(resign(m.wire, { mac: m.mac.subarray(0, 9) }), md5ring, NOW).status, 'formerr', 'never below 10 octets');
});

t.test('misplaced or malformed TSIG records are FORMERR', async (t) => {
  const msg = query();
  const s = signRequest(msg, k256, NOW);
  const rr = s.wire.subarray(msg.length);
  const ownerLen = nameToWire('hmac-sha256.key.').length;
  const patch = (at: number, write: (b: Buffer) => void): Buffer => {
    const b = Buffer.from(s.wire);
    write(b.subarray(msg.length + at));
    return b;
  };
  const withArcount = (b: Buffer, n: number): Buffer => (b.writeUInt16BE(n, 10), b);

  const twoTsigs = withArcount(Buffer.concat([s.wire, rr]), 2);
  t.equal(verifyRequest(twoTsigs, ring, NOW).status, 'formerr', 'two TSIG records');
  const aRecord = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]);
  const notLast = withArcount(Buffer.concat([s.wire, aRecord]), 2);
  t.equal(verifyRequest(notLast, ring, NOW).status, 'formerr', 'TSIG followed by another record');
  const inAnswer = Buffer.from(s.wire);
  inAnswer.writeUInt16BE(1, 6);
  inAnswer.writeUInt16BE(0, 10);
  t.equal(verifyRequest(inAnswer, ring, NOW).status, 'formerr', 'TSIG in the answer section');
  t.equal(verifyRequest(patch(ownerLen + 2, (b) => b.writeUInt16BE(1, 0)), ring, NOW).status, 'formerr', 'class IN');
  t.equal(verifyRequest(patch(ownerLen + 4, (b) => b.writeUInt32BE(1, 0)), ring, NOW).status, 'formerr', 'TTL 1');
  const rdlenAt = ownerLen + 8;
  const rdlen = s.wire.readUInt16BE(msg.length + rdlenAt);
  t.equal(verifyRequest(patch(rdlenAt, (b) => b.writeUInt16BE(rdlen + 1, 0)), ring, NOW).status, 'formerr', 'RDLENGTH past the end');
  t.equal(verifyRequest(patch(rdlenAt, (b) => b.writeUInt16BE(rdlen - 1, 0)), ring, NOW).status, 'formerr', 'RDLENGTH short of the end');
  const macSizeAt = ownerLen + 10 + 'hmac-sha256.'.length + 1 + 8;
  t.equal(s.wire.readUInt16BE(msg.length + macSizeAt), 32, 'found the MAC Size field');
  for (const size of [33, 200, 0xffff, 31]) {
    t.equal(verifyRequest(patch(macSizeAt, (b) => b.writeUInt16BE(size, 0)), ring, NOW).status, 'formerr', `MAC Size ${size} disagrees with RDLENGTH`);
  }
  t.equal(verifyRequest(Buffer.concat([s.wire, Buffer.from([0])]), ring, NOW).status, 'formerr', 'trailing byte');
  t.equal(verifyRequest(s.wire.subarray(0, 11), ring, NOW).status, 'formerr', 'shorter than a header');
  const kinds = new Set<TsigStatus>();
  for (let cut = 12; cut < s.wire.length; cut++) kinds.add(verifyRequest(s.wire.subarray(0, cut), ring, NOW).status);
  t.same([...kinds], ['formerr'], 'every truncation of a signed request is FORMERR, none throws');
});

t.test('unsigned messages are reported as such', async (t) => {
  const msg = query(1, true);
  const r = verifyRequest(msg, ring, NOW);
  t.equal(r.status, 'unsigned');
  t.equal(r.tsigOffset, msg.length);
  t.equal(r.key, null);
  t.equal(stripTsig(msg, r), msg);
  t.equal(verifyRequest(query(), ring, NOW).status, 'unsigned', 'no additional section at all');
});
