import t from 'tap';
import { ConfigError, parseConfig } from '../../../src/config/index.js';

function errors(text: string): string[] {
  try {
    parseConfig(text, 'h.yaml', '/');
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  throw new Error('config was accepted');
}

const cidr = (p: { address: string; length: number }): string => `${p.address}/${p.length}`;

t.test('networks, keywords and literal prefixes resolve to prefixes', async (t) => {
  const c = parseConfig([
    'networks:',
    '  lan: [192.168.1.0/24, "FD00:1:0::/64", 192.168.1.53]',
    '  dmz: ["2001:DB8::1"]',
    'recursion:',
    '  allow: [lan, loopback, 10.0.0.0/8, lan]',
    'rebinding:',
    '  privateNetworks: [rfc6598]',
    'forward:',
    '  domains:',
    '    - { name: corp.example., upstreams: [ { address: 10.1.1.1 } ] }',
    '    - { name: x.lan., upstreams: [ { address: 10.1.1.1 } ] }',
  ].join('\n'), 'h.yaml', '/');
  t.same(Object.keys(c.networks), ['lan', 'dmz']);
  t.same(c.networks['lan']!.map(cidr), ['192.168.1.0/24', 'fd00:1::/64', '192.168.1.53/32']);
  t.same(c.networks['dmz']![0], { family: 6, address: '2001:db8::1', length: 128, bytes: [32, 1, 13, 184, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1] });
  t.same(c.recursion.allow.map(cidr), ['192.168.1.0/24', 'fd00:1::/64', '192.168.1.53/32', '127.0.0.0/8', '::1/128', '10.0.0.0/8'],
    'flattened, first occurrence kept');
  t.same(c.rebinding.privateNetworks.map(cidr), ['100.64.0.0/10']);
  t.same(c.rebinding.privateDomains, ['lan.', 'home.arpa.', 'in-addr.arpa.', 'ip6.arpa.', 'corp.example.'],
    'conditional forwarding domains are added unless already covered (x.lan. is under lan.)');
  t.same(parseConfig('recursion: { allow: [] }', 'h.yaml', '/').recursion.allow, [], 'an empty allow list turns recursion off');
});

t.test('network errors', async (t) => {
  const text = [
    'networks:',                                                             // 1
    '  any: [10.0.0.0/8]',                                                   // 2
    '  9lives: [10.0.0.0/8]',                                                // 3
    '  empty: []',                                                           // 4
    '  lan: [10.0.0.0/33, "fd00::/129", "fe80::1%eth0", 10.1, banana]',      // 5
    'recursion:',                                                            // 6
    '  allow: [lan, localnet, 10.0.0.1/8, 1.2.3.256]',                       // 7
    'rebinding:',                                                            // 8
    '  privateDomains: [lan., LAN]',                                         // 9
    '  privateNetworks: [rfc1819]',                                          // 10
  ].join('\n');
  t.same(errors(text), [
    'h.yaml:2:3: networks.any: "any" is a built-in name and cannot be redefined',
    'h.yaml:3:3: networks.9lives: expected a network name (a letter, then letters, digits, "-" or "_")',
    'h.yaml:4:10: networks.empty: must not be empty',
    'h.yaml:5:9: networks.lan[0]: prefix length must be 0..32',
    'h.yaml:5:22: networks.lan[1]: prefix length must be 0..128',
    'h.yaml:5:36: networks.lan[2]: expected an address or prefix such as 192.168.1.0/24 or fd00::/64',
    'h.yaml:5:52: networks.lan[3]: expected an address or prefix, got a number',
    'h.yaml:5:58: networks.lan[4]: expected an address or prefix such as 192.168.1.0/24 or fd00::/64',
    'h.yaml:7:16: recursion.allow[1]: unknown network "localnet"',
    'h.yaml:7:26: recursion.allow[2]: host bits set (did you mean 10.0.0.0/8?)',
    'h.yaml:7:38: recursion.allow[3]: expected an address or prefix such as 192.168.1.0/24 or fd00::/64',
    'h.yaml:9:26: rebinding.privateDomains[1]: duplicate domain "lan." (first at line 9)',
    'h.yaml:10:21: rebinding.privateNetworks[0]: unknown network "rfc1819" (did you mean "rfc1918"?)',
  ]);
  t.same(errors('views:\n  list:\n    - { name: v, match: [lann] }\nnetworks:\n  lan: [10.0.0.0/8]\n'), [
    'h.yaml:3:26: views.list[0].match[0]: unknown network "lann" (did you mean "lan"?)',
  ], 'networks may be declared after their use');
  t.same(errors('networks:\n  lan: [10.0.0.1/8]\nrecursion:\n  allow: [lan]\n'), [
    'h.yaml:2:9: networks.lan[0]: host bits set (did you mean 10.0.0.0/8?)',
  ], 'a broken network is reported once, not again where it is used');
});
