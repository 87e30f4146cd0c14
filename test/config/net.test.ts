import t from 'tap';
import { overlaps, parsePrefix, prefixText } from '../../src/config/net.js';
import type { Prefix } from '../../src/config/types.js';

const p = (text: string): Prefix => {
  const r = parsePrefix(text);
  if (typeof r === 'string') throw new Error(r);
  return r;
};

t.test('prefixes are parsed strictly and canonicalised', async (t) => {
  t.same(p('192.168.1.0/24'), { family: 4, address: '192.168.1.0', length: 24, bytes: [192, 168, 1, 0] });
  t.equal(prefixText(p('FD00:0001:0000::/48')), 'fd00:1::/48');
  t.equal(prefixText(p('10.0.0.7')), '10.0.0.7/32', 'a bare address is a host prefix');
  t.equal(prefixText(p('::1')), '::1/128');
  t.equal(prefixText(p('0.0.0.0/0')), '0.0.0.0/0');
  t.equal(prefixText(p('2001:db8::/32')), '2001:db8::/32');
  t.equal(parsePrefix('192.168.1.1/24'), 'host bits set (did you mean 192.168.1.0/24?)');
  t.equal(parsePrefix('fd00::1/64'), 'host bits set (did you mean fd00::/64?)');
  t.equal(parsePrefix('11.0.0.0/7'), 'host bits set (did you mean 10.0.0.0/7?)', 'a non-octet boundary');
  t.equal(prefixText(p('10.0.0.0/7')), '10.0.0.0/7');
  t.equal(parsePrefix('10.0.0.0/33'), 'prefix length must be 0..32');
  t.equal(parsePrefix('10.0.0.0/'), 'prefix length must be 0..32');
  t.equal(parsePrefix('10.0.0.0/+8'), 'prefix length must be 0..32');
  for (const bad of ['10.1', '0x7f.0.0.1', '010.0.0.1', '1.2.3.4.5', 'fe80::1%eth0/64', 'banana', '']) {
    t.equal(parsePrefix(bad), 'expected an address or prefix such as 192.168.1.0/24 or fd00::/64', bad);
  }
});

t.test('overlap', async (t) => {
  t.ok(overlaps(p('10.0.0.0/8'), p('10.1.0.0/16')));
  t.ok(overlaps(p('10.1.0.0/16'), p('10.0.0.0/8')));
  t.ok(overlaps(p('203.0.113.0/28'), p('203.0.113.10')));
  t.notOk(overlaps(p('203.0.113.0/28'), p('203.0.113.16/28')));
  t.notOk(overlaps(p('10.0.0.0/8'), p('::/0')), 'families never overlap');
  t.ok(overlaps(p('fd00::/8'), p('fd12:3456::/32')));
  t.notOk(overlaps(p('fd00::/9'), p('fd80::/9')));
});
