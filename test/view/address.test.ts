import t from 'tap';
import { createRequire } from 'node:module';
import type * as IpAddr from 'ipaddr.js';
import { formatAddress, isIPv4Mapped, parseAddress, parseIPv4, parseIPv6, readIPv4 } from '../../src/view/address.js';
import { prng, testSeed } from '../helpers/prng.js';

// ipaddr.js is CommonJS with `export =`: load it the way Node does (an independent reference here).
const ipaddr = createRequire(import.meta.url)('ipaddr.js') as typeof IpAddr;

const seed = testSeed();
t.comment(`seed ${seed}`);
const rand = prng(seed);

t.test('IPv4 parse', async (t) => {
  t.equal(parseIPv4('0.0.0.0'), 0);
  t.equal(parseIPv4('255.255.255.255'), 0xffffffff);
  t.equal(parseIPv4('192.168.1.5'), 0xc0a80105);
  t.equal(parseIPv4('10.0.0.1'), 0x0a000001);
  t.equal(parseIPv4('x10.0.0.1', 1), 0x0a000001, 'start offset');
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.04', '01.2.3.4', '1..2.3', '1.2.3.', '.1.2.3',
    '1.2.3.4 ', ' 1.2.3.4', '1.2.3.-4', 'a.b.c.d', '1.2.3.4/8', '1000.1.1.1']) {
    t.equal(parseIPv4(bad), -1, `rejects "${bad}"`);
  }
});

t.test('IPv6 parse matches ipaddr.js on known forms', async (t) => {
  const out = new Uint8Array(16);
  for (const s of ['::', '::1', '1::', '2001:db8::1', '2001:DB8:0:0:8:800:200C:417A', 'fe80::1%eth0',
    '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '::ffff:192.168.1.5', '64:ff9b::192.0.2.33',
    '1:2:3:4:5:6:1.2.3.4', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '0:0:0:0:0:ffff:c0a8:105']) {
    t.ok(parseIPv6(s, out), `parses ${s}`);
    t.same([...out], ipaddr.IPv6.parse(s.replace(/%.*/, '')).toByteArray(), `bytes of ${s}`);
  }
  for (const bad of ['', ':', ':::', '1:::2', '1::2::3', ':1::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::',
    '1:2:3:4:5:6:7:8::', '::1:2:3:4:5:6:7:8', '::g', '1.2.3.4', '::1.2.3', '1:2:3:4:5:6:7:1.2.3.4', '::1.2.3.4:5',
    '1:', '::ffff:256.1.1.1', 'fe80::1 ']) {
    t.notOk(parseIPv6(bad, out), `rejects "${bad}"`);
  }
});

t.test('random round trips against ipaddr.js', async (t) => {
  const b = new Uint8Array(16);
  const out = new Uint8Array(20);
  let failures = 0;
  for (let n = 0; n < 3000; n++) {
    for (let i = 0; i < 16; i++) b[i] = rand() < 0.4 ? 0 : Math.floor(rand() * 256); // zero runs are common
    const text = formatAddress(b, 6);
    const expected = isIPv4Mapped(b) ? `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}` : ipaddr.fromByteArray([...b]).toString();
    if (text !== expected) { failures++; t.equal(text, expected, 'RFC 5952 text'); }
    if (parseAddress(text, out, 2) !== 6 || !out.subarray(2, 18).every((v, i) => v === b[i])) {
      failures++;
      t.fail(`reparse of ${text}`);
    }
    const v4 = b.subarray(0, 4);
    const t4 = formatAddress(v4, 4);
    if (parseAddress(t4, out) !== 4 || readIPv4(out) !== readIPv4(v4)) { failures++; t.fail(`IPv4 ${t4}`); }
  }
  t.equal(failures, 0);
});

t.test('formatting', async (t) => {
  t.equal(formatAddress([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1], 6), '::ffff:192.0.2.1');
  t.equal(formatAddress([0x20, 1, 0xd, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1], 6), '2001:db8:0:1::1');
  t.equal(formatAddress([0x20, 1, 0xd, 0xb8, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1], 6), '2001:db8:0:1:0:1:0:1', 'single zero groups stay');
  t.equal(formatAddress([9, 10, 192, 0, 2, 1], 4, 2), '192.0.2.1', 'offset');
});
