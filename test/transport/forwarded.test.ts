import t from 'tap';
import { forwardedClient } from '../../src/transport/forwarded.js';

const proxies = new Set(['10.0.0.1', '10.0.0.2', '2001:db8::1']);
const trusted = (a: string): boolean => proxies.has(a);

t.test('X-Forwarded-For: the rightmost address that is not a trusted proxy', async (t) => {
  t.equal(forwardedClient(undefined, '192.0.2.7', trusted), '192.0.2.7');
  t.equal(forwardedClient(undefined, '192.0.2.7, 10.0.0.2', trusted), '192.0.2.7', 'a chain of trusted proxies is skipped');
  t.equal(forwardedClient(undefined, '127.0.0.2, 192.0.2.7', trusted), '192.0.2.7', 'what the client wrote itself is never believed');
  t.equal(forwardedClient(undefined, ['192.0.2.7', '10.0.0.2'], trusted), '192.0.2.7', 'repeated headers are one list');
  t.equal(forwardedClient(undefined, '10.0.0.1, 10.0.0.2', trusted), '10.0.0.1', 'all trusted: the leftmost');
  t.equal(forwardedClient(undefined, 'garbage, 10.0.0.2', trusted), '10.0.0.2', 'not an address: the last proxy seen');
  t.equal(forwardedClient(undefined, 'garbage', trusted), null);
  t.equal(forwardedClient(undefined, '192.0.2.7:5353', trusted), '192.0.2.7', 'IPv4 with a port');
  t.equal(forwardedClient(undefined, '::ffff:192.0.2.7', trusted), '192.0.2.7', 'IPv4-mapped is unmapped');
  t.equal(forwardedClient(undefined, undefined, trusted), null);
});

t.test('Forwarded (RFC 7239) wins over X-Forwarded-For', async (t) => {
  t.equal(forwardedClient('for=192.0.2.60;proto=https;by=10.0.0.1', '198.51.100.1', trusted), '192.0.2.60');
  t.equal(forwardedClient('for="[2001:db8:cafe::17]:4711"', undefined, trusted), '2001:db8:cafe::17');
  t.equal(forwardedClient('For="192.0.2.43:47011", for=10.0.0.2', undefined, trusted), '192.0.2.43', 'case-insensitive parameter name, quoted port');
  t.equal(forwardedClient('for=unknown, for=10.0.0.2', undefined, trusted), '10.0.0.2', 'unknown stops the walk');
  t.equal(forwardedClient('for=_hidden', undefined, trusted), null, 'obfuscated identifier');
  t.equal(forwardedClient('proto=https;host="a,b"', undefined, trusted), null, 'commas inside quotes do not split; no for');
  t.equal(forwardedClient('for=192.0.2.9, for="[2001:db8::1]"', undefined, trusted), '192.0.2.9', 'a trusted IPv6 proxy is skipped');
});
