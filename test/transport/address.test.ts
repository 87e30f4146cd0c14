import t from 'tap';
import { hostPort, unmapIPv4 } from '../../src/transport/address.js';
import { needsIpv6Only } from '../../src/transport/listeners.js';

t.test('IPv4-mapped client addresses are shown as IPv4', async (t) => {
  t.equal(unmapIPv4('::ffff:192.0.2.7'), '192.0.2.7');
  t.equal(unmapIPv4('::ffff:127.0.0.1'), '127.0.0.1');
  t.equal(unmapIPv4('::1'), '::1');
  t.equal(unmapIPv4('2001:db8::ffff:1'), '2001:db8::ffff:1');
  t.equal(unmapIPv4('::ffff:c000:207'), '::ffff:c000:207', 'hex form is left alone (Node never reports it)');
  t.equal(unmapIPv4('192.0.2.1'), '192.0.2.1');
});

t.test('addresses in messages', async (t) => {
  t.equal(hostPort('192.0.2.1', 53), '192.0.2.1:53');
  t.equal(hostPort('2001:db8::1', 53), '[2001:db8::1]:53');
});

t.test(':: goes IPv6-only only when an IPv4 address shares its port', async (t) => {
  const both = [
    { address: '0.0.0.0', port: 53, protocols: ['udp' as const] },
    { address: '::', port: 53, protocols: ['udp' as const] },
  ];
  t.equal(needsIpv6Only('::', 53, both), true);
  t.equal(needsIpv6Only('::', 53, [both[1]!]), false, 'alone: dual-stack');
  t.equal(needsIpv6Only('::', 5353, both), false, 'other port');
  t.equal(needsIpv6Only('::1', 53, both), false, 'a specific IPv6 address never conflicts');
  t.equal(needsIpv6Only('::', 0, both), false, 'ephemeral ports never collide');
});
