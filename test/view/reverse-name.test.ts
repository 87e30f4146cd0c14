import t from 'tap';
import { createRequire } from 'node:module';
import type * as IpAddr from 'ipaddr.js';
import { addressToReverseName, parseReverseName, reverseName, reverseNameToAddress } from '../../src/view/reverse-name.js';
import { prng, testSeed } from '../helpers/prng.js';

// ipaddr.js is CommonJS with `export =`: load it the way Node does (an independent reference here).
const ipaddr = createRequire(import.meta.url)('ipaddr.js') as typeof IpAddr;

const seed = testSeed();
t.comment(`seed ${seed}`);
const rand = prng(seed);

t.test('address to reverse name', async (t) => {
  t.equal(addressToReverseName('1.2.3.4'), '4.3.2.1.in-addr.arpa.');
  t.equal(addressToReverseName('10.0.20.5'), '5.20.0.10.in-addr.arpa.');
  t.equal(addressToReverseName('2001:db8::567:89ab'),
    'b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.', 'RFC 3596 §2.5 example');
  t.equal(addressToReverseName('::ffff:192.0.2.1'),
    '1.0.2.0.0.0.0.c.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.', 'IPv4-mapped text stays IPv6');
  t.equal(reverseName([192, 0, 2, 0], 24), '2.0.192.in-addr.arpa.');
  t.equal(reverseName([192, 0, 2, 0], 0), 'in-addr.arpa.');
  t.equal(reverseName(ipaddr.parse('2001:db8::').toByteArray(), 36), '0.8.b.d.0.1.0.0.2.ip6.arpa.');
  t.throws(() => addressToReverseName('example.com'), { code: 'HZ_ERR_INVALID_ARGUMENT' });
  t.throws(() => reverseName([192, 0, 2, 0], 26), { code: 'HZ_ERR_INVALID_ARGUMENT' }, 'IPv4 needs whole octets');
  t.throws(() => reverseName(new Uint8Array(16), 130), { code: 'HZ_ERR_INVALID_ARGUMENT' });
  t.throws(() => reverseName([1, 2, 3]), { code: 'HZ_ERR_INVALID_ARGUMENT' });
});

t.test('reverse name to address, case-insensitive', async (t) => {
  t.equal(reverseNameToAddress('4.3.2.1.in-addr.arpa.'), '1.2.3.4');
  t.equal(reverseNameToAddress('4.3.2.1.IN-ADDR.ARPA'), '1.2.3.4', 'upper case, no trailing dot');
  t.equal(reverseNameToAddress('B.A.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2.Ip6.Arpa.'), '2001:db8::567:89ab');
  t.equal(reverseNameToAddress('3.2.1.in-addr.arpa.'), null, 'not a full address');
  t.same(parseReverseName('2.0.192.in-addr.arpa.'), { family: 4, bytes: new Uint8Array([192, 0, 2, 0]), bits: 24 });
  t.same(parseReverseName('8.b.d.0.1.0.0.2.ip6.arpa.'), { family: 6, bytes: new Uint8Array([0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), bits: 32 });
  t.same(parseReverseName('in-addr.arpa.'), { family: 4, bytes: new Uint8Array(4), bits: 0 });
  t.same(parseReverseName('IP6.ARPA'), { family: 6, bytes: new Uint8Array(16), bits: 0 });
  for (const bad of ['example.com.', '5.4.3.2.1.in-addr.arpa.', '256.2.0.192.in-addr.arpa.', '01.2.0.192.in-addr.arpa.',
    '1..0.192.in-addr.arpa.', '0/26.2.0.192.in-addr.arpa.', 'x.in-addr.arpa.', 'ab.8.b.d.0.1.0.0.2.ip6.arpa.', 'g.ip6.arpa.',
    'xin-addr.arpa.', '.in-addr.arpa.', `${'0.'.repeat(33)}ip6.arpa.`, 'in-addr.arpa.example.']) {
    t.equal(parseReverseName(bad), null, `rejects ${bad}`);
  }
});

t.test('random round trips (names checked against ipaddr.js reverse form)', async (t) => {
  let failures = 0;
  for (let n = 0; n < 2000; n++) {
    const size = rand() < 0.5 ? 4 : 16;
    const bytes = Array.from({ length: size }, () => (rand() < 0.3 ? 0 : Math.floor(rand() * 256)));
    const addr = ipaddr.fromByteArray(bytes);
    const text = addr.kind() === 'ipv6' ? (addr as IpAddr.IPv6).toRFC5952String() : addr.toString();
    const name = addressToReverseName(text);
    const hex = bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
    const expectedName = size === 4
      ? `${[...bytes].reverse().join('.')}.in-addr.arpa.`
      : `${[...hex].reverse().join('.')}.ip6.arpa.`;
    if (name !== expectedName) { failures++; t.equal(name, expectedName); }
    const back = reverseNameToAddress(name.toUpperCase());
    if (back === null || ipaddr.parse(back).toByteArray().join() !== bytes.join()) { failures++; t.fail(`${name} -> ${back}`); }
  }
  t.equal(failures, 0);
});
