import t from 'tap';
import { isSelf, parseResolvConf } from '../../src/config/resolv-conf.js';
import type { ListenConfig } from '../../src/config/types.js';

const listen = (address: string, port: number): ListenConfig => ({ family: address.includes(':') ? 6 : 4, address, port, protocols: ['udp', 'tcp'] });
const v4 = (address: string) => ({ family: 4 as const, address });
const v6 = (address: string) => ({ family: 6 as const, address });

t.test('resolv.conf: nameserver lines only, comments and options ignored, canonical addresses', async (t) => {
  const r = parseResolvConf('domain lan\n nameserver 10.0.0.1\nnameserver\t2001:0db8::0001 ; old\n#nameserver 10.9.9.9\nnameserver 10.0.0.1\nnameserver nope\noptions ndots:2\n');
  t.same(r.nameservers, [v4('10.0.0.1'), v6('2001:db8::1')]);
  t.same(r.unusable, ['nope']);
  t.same(parseResolvConf('').nameservers, [v4('127.0.0.1')], 'no nameserver line: the local resolver');
  t.same(parseResolvConf('nameserver nope\n').nameservers, [], 'only unusable lines: none (not the local default)');
});

t.test('isSelf: same address and port 53, or a wildcard listener on port 53 and a local address', async (t) => {
  const local = () => new Set(['192.168.1.5', 'fd00::5']);
  t.ok(isSelf(v4('127.0.0.53'), [listen('127.0.0.53', 53)], local));
  t.notOk(isSelf(v4('127.0.0.53'), [listen('127.0.0.53', 5353)], local), 'another port is another server');
  t.notOk(isSelf(v4('127.0.0.53'), [listen('127.0.0.1', 53)], local));
  t.ok(isSelf(v4('192.168.1.5'), [listen('0.0.0.0', 53)], local));
  t.notOk(isSelf(v4('192.168.1.1'), [listen('0.0.0.0', 53)], local), 'the router is not us');
  t.notOk(isSelf(v6('fd00::5'), [listen('0.0.0.0', 53)], local), '0.0.0.0 is IPv4 only');
  t.ok(isSelf(v6('fd00::5'), [listen('::', 53)], local));
  t.ok(isSelf(v4('192.168.1.5'), [listen('::', 53)], local), ':: may be dual-stack');
  t.notOk(isSelf(v4('127.0.0.1'), [listen('127.0.0.1', 0)], local), 'an ephemeral port is never 53');
});
