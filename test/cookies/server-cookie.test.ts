import t from 'tap';
import { CookieJar } from '../../src/cookies/server-cookie.js';

const CLIENT = Buffer.from('2464c4abcf10c957', 'hex');
const SECRET = 'e5e973e5a6b2a43f48e7dc849e37bfcf';
const TS = 1559731985;

t.test('RFC 9018 appendix A.1: the server cookie for 198.51.100.100', async (t) => {
  const jar = new CookieJar(SECRET, null, () => TS);
  const out = Buffer.alloc(16);
  jar.make(CLIENT, 0, '198.51.100.100', out, 0);
  t.equal(out.toString('hex'), '010000005cf79f111f8130c3eee29480');
});

t.test('validity: our cookie, this address, within the hour; the previous secret after a rotation', async (t) => {
  let now = TS;
  const jar = new CookieJar(SECRET, null, () => now);
  const msg = Buffer.concat([CLIENT, Buffer.alloc(16)]);
  jar.make(CLIENT, 0, '2001:db8::53', msg, 8);
  t.ok(jar.valid(msg, 0, 8, 16, '2001:db8::53'));
  t.notOk(jar.valid(msg, 0, 8, 16, '2001:db8::54'), 'another address');
  t.notOk(jar.valid(msg, 0, 8, 15, '2001:db8::53'), 'wrong length');
  now = TS + 3599;
  t.ok(jar.valid(msg, 0, 8, 16, '2001:db8::53'), 'just under an hour old');
  now = TS + 3601;
  t.notOk(jar.valid(msg, 0, 8, 16, '2001:db8::53'), 'over an hour old');
  now = TS - 301;
  t.notOk(jar.valid(msg, 0, 8, 16, '2001:db8::53'), 'more than five minutes ahead');
  now = TS;
  const rotated = new CookieJar('00112233445566778899aabbccddeeff', SECRET, () => now);
  t.ok(rotated.valid(msg, 0, 8, 16, '2001:db8::53'), 'accepted under the previous secret');
  const other = new CookieJar('00112233445566778899aabbccddeeff', null, () => now);
  t.notOk(other.valid(msg, 0, 8, 16, '2001:db8::53'), 'not without it');
  const tampered = Buffer.from(msg);
  tampered[23]! ^= 1;
  t.notOk(jar.valid(tampered, 0, 8, 16, '2001:db8::53'), 'one bit changed');
});
