import { join } from 'node:path';
import t from 'tap';
import { parseConfig } from '../../../src/config/index.js';
import { RRType } from '../../../src/wire/constants.js';
import { configErrors as errors } from '../../helpers/config.js';

const ZONE = '$ORIGIN x.\n@ 3600 IN SOA ns hostmaster 1 3600 600 86400 60\n@ 3600 IN NS ns\n';
const KEYS = 'keys:\n  - { name: kea., secret: "AAAA" }\n  - { name: admin., secret: "AAAA" }\nnetworks:\n  dhcp: [192.168.1.2]\n';

t.test('zones are normalised', async (t) => {
  const dir = t.testdir({ zones: { 'a.zone': ZONE } });
  const c = parseConfig('zones:\n  - { name: Home.LAN, file: zones/a.zone, allowInclude: true }\n  - { name: ".", file: zones/a.zone }\n', 'h.yaml', dir);
  t.same(c.zones, [
    { name: 'home.lan.', file: join(dir, 'zones', 'a.zone'), allowInclude: true, fallthrough: false, update: null, type: 'primary', primaries: [], notify: [], allowTransfer: null, allowUpdateForwarding: false, journal: { onCorrupt: null } },
    { name: '.', file: join(dir, 'zones', 'a.zone'), allowInclude: false, fallthrough: false, update: null, type: 'primary', primaries: [], notify: [], allowTransfer: null, allowUpdateForwarding: false, journal: { onCorrupt: null } },
  ]);
});

t.test('zone errors', async (t) => {
  const dir = t.testdir({ 'a.zone': ZONE, sub: {} });
  const text = [
    'zones:',                                       // 1
    '  - { name: home.lan., file: a.zone }',        // 2
    '  - { name: HOME.lan, file: a.zone }',         // 3
    '  - { name: bad..name, file: a.zone }',        // 4
    '  - { name: x.lan., file: missing.zone }',     // 5
    '  - { name: y.lan., file: sub }',              // 6
    '  - { name: z.lan., file: a.zone, allowInclude: 1 }', // 7
  ].join('\n');
  t.same(errors(text, dir), [
    'h.yaml:3:13: zones[1].name: duplicate zone "home.lan." (first at line 2)',
    'h.yaml:4:13: zones[2].name: expected a domain name such as home.lan. (labels of 1..63 letters, digits, "-" or "_"; at most 255 bytes)',
    `h.yaml:5:27: zones[3].file: cannot read ${join(dir, 'missing.zone')}: no such file`,
    `h.yaml:6:27: zones[4].file: cannot read ${join(dir, 'sub')}: is a directory`,
    'h.yaml:7:49: zones[5].allowInclude: expected true or false, got a number',
  ]);
});

t.test('the kea preset grants what Kea D2 needs, forward and reverse', async (t) => {
  const dir = t.testdir({ 'a.zone': ZONE });
  const c = parseConfig(KEYS + [
    'zones:',
    '  - name: home.lan.',
    '    file: a.zone',
    '    update: { preset: kea, keys: [kea.], networks: [dhcp, 127.0.0.1] }',
    '  - name: 1.168.192.in-addr.arpa',
    '    file: a.zone',
    '    update: { preset: kea, keys: [kea], networks: [dhcp], protectStatic: false, scavenge: { enabled: true } }',
  ].join('\n'), 'h.yaml', dir);
  const [fwd, rev] = c.zones.map((z) => z.update!);
  t.same(fwd!.rules, [{
    keys: ['kea.'],
    tokens: [],
    networks: [
      { family: 4, address: '192.168.1.2', length: 32, bytes: [192, 168, 1, 2] },
      { family: 4, address: '127.0.0.1', length: 32, bytes: [127, 0, 0, 1] },
    ],
    name: { kind: 'subtree', name: 'home.lan.' },
    types: [RRType.A, RRType.AAAA, RRType.DHCID, RRType.ANY],
    anyType: false,
    origin: 'preset',
  }]);
  t.same(fwd!.protectStatic, true);
  t.same(fwd!.scavenge, { enabled: false, grace: 86_400 });
  t.same(rev!.rules[0]!.types, [RRType.PTR, RRType.DHCID, RRType.ANY]);
  t.same(rev!.rules[0]!.name, { kind: 'subtree', name: '1.168.192.in-addr.arpa.' });
  t.same(rev!.protectStatic, false);
  t.same(rev!.scavenge, { enabled: true, grace: 86_400 });
});

t.test('explicit rules narrow the zone gate', async (t) => {
  const dir = t.testdir({ 'a.zone': ZONE });
  const c = parseConfig(KEYS + [
    'zones:',
    '  - name: home.lan.',
    '    file: a.zone',
    '    update:',
    '      keys: [kea., admin.]',
    '      networks: [dhcp]',
    '      rules:',
    '        - { keys: [admin.], name: { zone: true }, types: [A, AAAA, TXT, SRV] }',
    '        - { networks: [192.168.1.2/32], name: { subtree: dyn.home.lan }, types: [ANY, TYPE65400] }',
    '        - { name: { exact: Printer.Home.Lan. }, types: [a] }',
  ].join('\n'), 'h.yaml', dir);
  const u = c.zones[0]!.update!;
  t.equal(u.preset, 'none');
  t.same(u.rules.map((r) => [r.keys, r.name, r.types, r.origin]), [
    [['admin.'], { kind: 'subtree', name: 'home.lan.' }, [1, 28, 16, 33], 'config'],
    [['kea.', 'admin.'], { kind: 'subtree', name: 'dyn.home.lan.' }, [255, 65400], 'config'],
    [['kea.', 'admin.'], { kind: 'exact', name: 'printer.home.lan.' }, [1], 'config'],
  ]);
  t.same(u.rules[0]!.networks, u.networks, 'a rule without networks uses the zone\'s');
});

t.test('update policy errors', async (t) => {
  const dir = t.testdir({ 'a.zone': ZONE });
  const text = KEYS + [
    'zones:',                                                                  // 6
    '  - name: a.lan.',                                                        // 7
    '    file: a.zone',                                                        // 8
    '    update: { preset: kea, keys: [kae.], networks: [dhpc, 10.0.0.1/8] }', // 9
    '  - name: b.lan.',                                                        // 10
    '    file: a.zone',                                                        // 11
    '    update: { keys: [kea.], networks: [dhcp] }',                          // 12
    '  - name: c.lan.',                                                        // 13
    '    file: a.zone',                                                        // 14
    '    update:',                                                             // 15
    '      keys: [kea.]',                                                      // 16
    '      networks: [dhcp]',                                                  // 17
    '      rules:',                                                            // 18
    '        - { keys: [admin.], name: { exact: other.lan. }, types: [A] }',   // 19
    '        - { name: { zone: false }, types: [A] }',                         // 20
    '        - { name: { zone: true, exact: c.lan. }, types: [A] }',           // 21
    '        - { name: { zone: true }, types: [AXFR, TSIG, BOGUS, A, a] }',    // 22
    '        - { name: { subtree: c.lan. }, types: [] }',                      // 23
    '  - name: d.lan.',                                                        // 24
    '    file: a.zone',                                                        // 25
    '    update: { preset: kea, networks: [any] }',                            // 26
  ].join('\n');
  t.same(errors(text, dir), [
    'h.yaml:9:35: zones[0].update.keys[0]: unknown TSIG key "kae." (did you mean "kea."?)',
    'h.yaml:9:53: zones[0].update.networks[0]: unknown network "dhpc" (did you mean "dhcp"?)',
    'h.yaml:9:59: zones[0].update.networks[1]: host bits set (did you mean 10.0.0.0/8?)',
    'h.yaml:12:13: zones[1].update: grants nothing: set preset: kea or add rules',
    'h.yaml:19:19: zones[2].update.rules[0].keys: key "admin." is not in update.keys',
    'h.yaml:19:44: zones[2].update.rules[0].name.exact: other.lan. is not in zone c.lan.',
    'h.yaml:20:27: zones[2].update.rules[1].name.zone: must be true (use subtree or exact otherwise)',
    'h.yaml:21:19: zones[2].update.rules[2].name: expected exactly one of zone, subtree, exact',
    'h.yaml:22:43: zones[2].update.rules[3].types[0]: AXFR is not allowed here',
    'h.yaml:22:49: zones[2].update.rules[3].types[1]: TSIG is not allowed here',
    'h.yaml:22:55: zones[2].update.rules[3].types[2]: unknown RR type "BOGUS"',
    'h.yaml:22:65: zones[2].update.rules[3].types[4]: duplicate type "A" (first at line 22)',
    'h.yaml:23:47: zones[2].update.rules[4].types: must not be empty',
    'h.yaml:26:13: zones[3].update: needs keys (TSIG) or tokens (console), or both',
  ]);
});
