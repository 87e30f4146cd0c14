import { join } from 'node:path';
import t from 'tap';
import { formatConfig, parseConfig } from '../../src/config/index.js';
import { configErrors as errors } from '../helpers/config.js';

const ZONE = '$ORIGIN x.\n@ 3600 IN SOA ns hostmaster 1 3600 600 86400 60\n@ 3600 IN NS ns\n';
const HEAD = 'server: { dataDir: state }\nkeys:\n  - { name: xfr., secret: "AAAA" }\nnetworks:\n  pods: [10.42.0.0/16]\n';

t.test('primary and secondary zones are normalised', async (t) => {
  const dir = t.testdir({ 'a.zone': ZONE });
  const c = parseConfig(HEAD + [
    'zones:',
    '  - name: a.test',
    '    file: a.zone',
    '    notify: [ { address: 10.42.0.11, key: xfr }, { address: "fd00::2", port: 5353 }, { address: horizond-1.horizond.dns.svc.cluster.local. } ]',
    '    allowTransfer: { keys: [xfr.], networks: [pods] }',
    '  - name: b.test',
    '    type: secondary',
    '    primaries: [ { address: horizond-0.horizond, key: xfr. }, { address: 10.42.0.10, port: 53 } ]',
    '    allowUpdateForwarding: true',
    '  - { name: c.test, type: secondary, file: copies/c.zone, primaries: [ { address: 192.0.2.1 } ] }',
  ].join('\n'), 'h.yaml', dir);
  const [a, b, cz] = c.zones;
  t.match(a, {
    name: 'a.test.', type: 'primary', file: join(dir, 'a.zone'), primaries: [], allowUpdateForwarding: false,
    notify: [
      { address: '10.42.0.11', port: 53, key: 'xfr.' },
      { address: 'fd00::2', port: 5353, key: null },
      { address: 'horizond-1.horizond.dns.svc.cluster.local', port: 53, key: null },
    ],
    allowTransfer: { keys: ['xfr.'], networks: [{ address: '10.42.0.0', length: 16 }] },
  });
  t.match(b, {
    name: 'b.test.', type: 'secondary', file: join(dir, 'state', 'b.test.zone'), update: null, notify: [], allowTransfer: null,
    allowUpdateForwarding: true,
    primaries: [{ address: 'horizond-0.horizond', port: 53, key: 'xfr.' }, { address: '10.42.0.10', port: 53, key: null }],
  });
  t.equal(cz!.file, join(dir, 'copies', 'c.zone'), 'a secondary may name where its copy goes; it need not exist');
  const again = parseConfig(formatConfig(c, { revealSecrets: true }), 'h.yaml', dir);
  t.same(again.zones, c.zones, 'formatConfig round-trips the replication keys');
});

t.test('the default copy follows server.dataDir, and the root zone gets a file name', async (t) => {
  const dir = t.testdir({});
  const c = parseConfig('zones:\n  - { name: ".", type: secondary, primaries: [ { address: 192.0.2.1 } ] }\n', 'h.yaml', dir);
  t.equal(c.zones[0]!.file, join(dir, 'data', 'root.zone'));
});

t.test('replication errors point at the key', async (t) => {
  const dir = t.testdir({ 'a.zone': ZONE });
  const text = HEAD + [
    'zones:',                                                                    // 6
    '  - { name: a1., file: a.zone, primaries: [ { address: 192.0.2.1 } ] }',   // 7
    '  - { name: a2., file: a.zone, allowUpdateForwarding: true }',              // 8
    '  - { name: a3., type: secondary }',                                        // 9
    '  - { name: a4., type: secondary, primaries: [ { address: 192.0.2.1 } ], update: { preset: kea, keys: [xfr.], networks: [pods] } }', // 10
    '  - { name: a5., type: replica, file: a.zone }',                            // 11
    '  - { name: a6., file: a.zone, allowTransfer: {} }',                        // 12
    '  - { name: a7., file: a.zone, allowTransfer: { keys: [nokey.] } }',        // 13
    '  - { name: a8., file: a.zone, notify: [ { address: 10.1 }, { address: "::1", port: 0 } ] }', // 14
    '  - { name: a9., file: a.zone, notify: [ { address: 192.0.2.9 }, { address: 192.0.2.9, port: 53 } ] }', // 15
    '  - { name: b1., type: secondary, primaries: [] }',                         // 16
  ].join('\n');
  t.same(errors(text, dir), [
    'h.yaml:7:43: zones[0].primaries: only a secondary zone has primaries (add type: secondary)',
    'h.yaml:8:55: zones[1].allowUpdateForwarding: only for secondary zones (a primary applies updates itself)',
    'h.yaml:9:5: zones[2].primaries: a secondary zone needs at least one primary',
    'h.yaml:10:82: zones[3].update: a secondary zone takes no updates itself (set allowUpdateForwarding to relay them to its primary)',
    'h.yaml:11:24: zones[4].type: expected one of primary, secondary',
    'h.yaml:12:47: zones[5].allowTransfer: grants nothing: list keys, networks or both (leave allowTransfer out to refuse every transfer)',
    'h.yaml:13:56: zones[6].allowTransfer.keys[0]: unknown TSIG key "nokey."',
    'h.yaml:14:53: zones[7].notify[0].address: expected an IP address, got a number',
    'h.yaml:14:85: zones[7].notify[1].port: expected 1..65535',
    'h.yaml:15:66: zones[8].notify[1]: duplicate notify target "192.0.2.9:53" (first at line 15)',
    'h.yaml:16:46: zones[9].primaries: a secondary zone needs at least one primary',
  ]);
});
