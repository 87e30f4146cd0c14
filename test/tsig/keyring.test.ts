import t from 'tap';
import { inspect, format } from 'node:util';
import { Keyring, TsigKey } from '../../src/tsig/keyring.js';
import { algorithmByName, parseAlgorithm, TSIG_ALGORITHMS } from '../../src/tsig/algorithms.js';

const SECRET_B64 = 'c2VjcmV0c2VjcmV0c2VjcmV0'; // "secretsecretsecret"

t.test('algorithm names: short ids, canonical names, any case', async (t) => {
  t.equal(algorithmByName('HMAC-SHA256')?.name, 'hmac-sha256.');
  t.equal(algorithmByName('hmac-sha1.')?.id, 'hmac-sha1');
  t.equal(algorithmByName('hmac-md5')?.name, 'hmac-md5.sig-alg.reg.int.');
  t.equal(algorithmByName('HMAC-MD5.SIG-ALG.REG.INT')?.id, 'hmac-md5');
  t.equal(algorithmByName('hmac-sha3'), undefined);
  t.same(TSIG_ALGORITHMS.map((a) => [a.id, a.size, a.minSize]), [
    ['hmac-sha256', 32, 16], ['hmac-sha384', 48, 24], ['hmac-sha512', 64, 32],
    ['hmac-sha224', 28, 14], ['hmac-sha1', 20, 10], ['hmac-md5', 16, 10],
  ]);
});

t.test('BIND truncation suffix and digest-bits limits (RFC 8945 §5.2.2.1)', async (t) => {
  t.same(parseAlgorithm('hmac-sha256-128').digestBits, 128);
  t.same(parseAlgorithm('hmac-sha512-256').digestBits, 256);
  t.same(parseAlgorithm('hmac-sha1-80').digestBits, 80);
  t.same(parseAlgorithm('hmac-sha256-256').digestBits, 0, 'full length means no truncation');
  t.throws(() => parseAlgorithm('hmac-sha256-120'), /between 128 and 256/, 'below half the hash');
  t.throws(() => parseAlgorithm('hmac-md5-72'), /between 80 and 128/, 'below 10 octets');
  t.throws(() => parseAlgorithm('hmac-sha256-130'), /multiple of 8/);
  t.throws(() => parseAlgorithm('hmac-sha256-512'), { code: 'HZ_ERR_TSIG_KEY' });
  t.throws(() => parseAlgorithm('rsa-sha256'), /unsupported TSIG algorithm/);
});

t.test('keys are stored and found by canonical name', async (t) => {
  const ring = new Keyring([
    { name: 'Kea-DDNS', algorithm: 'HMAC-SHA256', secret: SECRET_B64 },
    { name: 'xfr.example.', algorithm: 'hmac-sha512-256', secret: Buffer.from('abc') },
  ]);
  t.equal(ring.size, 2);
  t.same(ring.names(), ['kea-ddns.', 'xfr.example.']);
  const k = ring.get('KEA-ddns.');
  t.ok(k);
  t.equal(k!.name, 'kea-ddns.');
  t.equal(k!.algorithm.id, 'hmac-sha256');
  t.equal(k!.macSize, 32);
  t.same(k!.secret, Buffer.from('secretsecretsecret'));
  t.equal(ring.get('kea-ddns'), k, 'relative name works too');
  t.equal(ring.get('XFR.Example')!.macSize, 32, 'hmac-sha512-256 signs 32-octet MACs');
  t.equal(ring.get('other.'), undefined);
  t.throws(() => ring.add({ name: 'KEA-DDNS.', algorithm: 'hmac-sha1', secret: 'AAAA' }), /duplicate TSIG key kea-ddns\./);
  t.equal(new TsigKey({ name: 'k', algorithm: 'hmac-sha256', secret: 'AAAA', digestBits: 128 }).macSize, 16);
});

t.test('bad secrets are rejected', async (t) => {
  t.throws(() => new TsigKey({ name: 'k', algorithm: 'hmac-sha256', secret: 'not base64!' }), /not valid base64/);
  t.throws(() => new TsigKey({ name: 'k', algorithm: 'hmac-sha256', secret: '' }), /empty secret/);
  t.throws(() => new TsigKey({ name: 'k', algorithm: 'hmac-sha256', secret: 'AAAA', digestBits: 64 }), { code: 'HZ_ERR_TSIG_KEY' });
  const k = new TsigKey({ name: 'k', algorithm: 'hmac-sha256', secret: 'c2Vj cmV0\nc2VjcmV0' });
  t.same(k.secret, Buffer.from('secretsecret'), 'whitespace in base64 (key files) is ignored');
});

t.test('the secret never shows up when a key or keyring is printed or serialised', async (t) => {
  const raw = Buffer.from('super-secret-material-1234');
  const b64 = raw.toString('base64');
  const ring = new Keyring([{ name: 'k1', algorithm: 'hmac-sha256', secret: b64 }]);
  const key = ring.get('k1')!;
  const renderings = [
    String(key), `${key}`, JSON.stringify(key), inspect(key), inspect(key, { showHidden: true, depth: 9 }),
    format('%o %O %j', key, key, key), String(ring), JSON.stringify(ring), inspect(ring, { depth: 9 }),
    JSON.stringify({ ...key }), inspect({ nested: { key } }, { depth: 9 }),
  ];
  for (const s of renderings) {
    t.notMatch(s, b64, `no base64 secret in ${s}`);
    t.notMatch(s, 'super-secret', `no raw secret in ${s}`);
    t.notMatch(s, raw.toString('hex'), `no hex secret in ${s}`);
  }
  t.equal(String(key), 'TsigKey(k1. hmac-sha256)');
  t.same(JSON.parse(JSON.stringify(ring)), [{ name: 'k1.', algorithm: 'hmac-sha256', digestBits: 0 }]);
  t.notOk(Object.keys(key).includes('secret'), 'secret is not an own enumerable property');
});
