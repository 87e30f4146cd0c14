import t from 'tap';
import { parseConfig } from '../../../src/config/index.js';
import { configErrors as errors } from '../../helpers/config.js';

const ZONE = '$ORIGIN x.\n@ 3600 IN SOA ns hostmaster 1 3600 600 86400 60\n@ 3600 IN NS ns\n';

const cidr = (p: { address: string; length: number }): string => `${p.address}/${p.length}`;

t.test('views, matches and translations are normalised', async (t) => {
  const dir = t.testdir({ 'a.zone': ZONE, 'b.zone': ZONE });
  const c = parseConfig([
    'networks:',
    '  lan: [192.168.1.0/24, "fd00:1::/64"]',
    '  k8s: [10.42.0.0/16]',
    'zones:',
    '  - { name: home.lan., file: a.zone }',
    '  - { name: example.net., file: a.zone }',
    'views:',
    '  trustedForwarders: [k8s]',
    '  list:',
    '    - name: lan',
    '      match: [lan, 10.0.0.7]',
    '      translate:',
    '        - { external: 203.0.113.10, internal: 10.0.20.200 }',
    '        - { external: 203.0.113.0/28, internal: 10.0.20.0/28 }',
    '        - { external: "2001:db8::/64", internal: "fd00:2::/64" }',
    '      zones:',
    '        - { name: example.net., file: b.zone, fallthrough: true }',
    '        - { name: lan.only., file: b.zone }',
    '    - name: guests',
    '      match: [172.16.0.0/12]',
    '      recursion: false',
    '    - name: default',
  ].join('\n'), 'h.yaml', dir);
  const [lan, guests, def] = c.views.list;
  t.same(c.views.trustedForwarders.map(cidr), ['10.42.0.0/16']);
  t.same(lan!.match.map(cidr), ['192.168.1.0/24', 'fd00:1::/64', '10.0.0.7/32']);
  t.same(lan!.translate.map((x) => [cidr(x.external), cidr(x.internal)]), [
    ['203.0.113.10/32', '10.0.20.200/32'], ['203.0.113.0/28', '10.0.20.0/28'], ['2001:db8::/64', 'fd00:2::/64'],
  ], 'a host rule may refine a wider rule: the longest prefix wins');
  t.equal(lan!.translateReverse, true);
  t.equal(lan!.recursion, true);
  t.same(lan!.zones.map((z) => [z.name, z.fallthrough]), [['home.lan.', false], ['example.net.', true], ['lan.only.', false]]);
  t.equal(lan!.zones[0], c.zones[0], 'the unreplaced global zone is shared');
  t.equal(guests!.recursion, false);
  t.same(guests!.zones, c.zones);
  t.same(def!.match.map(cidr), ['0.0.0.0/0', '::/0'], 'default matches everyone');
});

t.test('view errors', async (t) => {
  const dir = t.testdir({ 'a.zone': ZONE });
  const text = [
    'networks:',                                                           // 1
    '  lan: [10.0.0.0/8]',                                                 // 2
    'views:',                                                              // 3
    '  trustedForwarders: [k8s]',                                          // 4
    '  list:',                                                             // 5
    '    - name: lan',                                                     // 6
    '      match: [lan, 192.168.1.0/24]',                                  // 7
    '      translate:',                                                    // 8
    '        - { external: 203.0.113.10, internal: "fd00::1" }',           // 9
    '        - { external: 203.0.113.0/28, internal: 10.0.20.0/27 }',      // 10
    '        - { external: 203.0.113.16/28, internal: 10.0.20.0/28 }',     // 11
    '        - { external: 203.0.113.16/28, internal: 10.0.30.0/28 }',     // 12
    '        - { external: 203.0.113.32/28, internal: 10.0.20.0/28 }',     // 13
    '        - { external: 203.0.113.5/28, internal: 10.0.40.0/28 }',      // 14
    '    - name: wan',                                                     // 15
    '      translateReverse: false',                                       // 16
    '      translate:',                                                    // 17
    '        - { external: 198.51.100.0/24, internal: 10.1.0.0/24 }',      // 18
    '        - { external: 198.51.100.0/25, internal: 10.1.0.0/25 }',      // 19
    '        - { external: 192.0.2.0/24, internal: 10.1.0.0/24 }',         // 20
    '      zones:',                                                        // 21
    '        - { name: a., file: a.zone }',                                // 22
    '        - { name: A, file: a.zone }',                                 // 23
    '    - name: "bad name"',                                              // 24
    '    - name: wan',                                                     // 25
    '      match: [lan]',                                                  // 26
    '    - name: default',                                                 // 27
    '      match: []',                                                     // 28
    '    - name: ok',                                                      // 29
    '      match: [lan]',                                                  // 30
    '    - name: ok',                                                      // 31
    '      match: [lan]',                                                  // 32
    'queryLog: { views: [lan, wna] }',                                     // 33
  ].join('\n');
  t.same(errors(text, dir), [
    'h.yaml:4:23: views.trustedForwarders[0]: unknown network "k8s"',
    'h.yaml:9:47: views.list[0].translate[0].internal: is IPv6 but external is IPv4',
    'h.yaml:10:49: views.list[0].translate[1].internal: prefix length /27 differs from external /28',
    'h.yaml:12:23: views.list[0].translate[3].external: 203.0.113.16/28 is already translated at line 11',
    'h.yaml:13:50: views.list[0].translate[4].internal: 10.0.20.0/28 is already translated at line 11 (translateReverse needs distinct internal networks)',
    'h.yaml:14:23: views.list[0].translate[5].external: host bits set (did you mean 203.0.113.0/28?)',
    'h.yaml:15:7: views.list[1].match: is required (only the view named "default" may leave it out)',
    'h.yaml:23:19: views.list[1].zones[1].name: duplicate zone "a." (first at line 22)',
    'h.yaml:24:13: views.list[2].name: expected a view name (a letter, then letters, digits, "-" or "_")',
    'h.yaml:28:14: views.list[4].match: must not be empty',
    'h.yaml:31:13: views.list[6].name: duplicate view "ok" (first at line 29)',
    'h.yaml:33:26: queryLog.views[1]: unknown view "wna" (did you mean "wan"?)',
  ]);
});

t.test('internal networks may repeat only when translateReverse is off', async (t) => {
  const view = (reverse: string): string => [
    'views:',
    '  list:',
    '    - name: wan',
    '      match: [any]',
    `      translateReverse: ${reverse}`,
    '      translate:',
    '        - { external: 198.51.100.0/24, internal: 10.1.0.0/24 }',
    '        - { external: 192.0.2.0/24, internal: 10.1.0.0/24 }',
  ].join('\n');
  t.equal(parseConfig(view('false'), 'h.yaml', '/').views.list[0]!.translate.length, 2);
  t.same(errors(view('true'), '/'), [
    'h.yaml:8:47: views.list[0].translate[1].internal: 10.1.0.0/24 is already translated at line 7 (translateReverse needs distinct internal networks)',
  ]);
});
