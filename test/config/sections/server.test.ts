import { join } from 'node:path';
import t from 'tap';
import { ConfigError, parseConfig } from '../../../src/config/index.js';

function errors(text: string): string[] {
  try {
    parseConfig(text, 'h.yaml', '/srv/dns');
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  throw new Error('config was accepted');
}

t.test('server, log, metrics and queryLog values', async (t) => {
  const c = parseConfig([
    'server:',
    '  listen:',
    '    - { address: 0.0.0.0 }',
    '    - { address: "fe80::1%eth0", port: 0, protocols: [tcp] }',
    '  udpPayloadSize: 4096',
    '  tcp: { idleTimeout: 1500ms }',
    '  workers: 4',
    '  dataDir: /var/lib/horizond',
    'log: { level: silent }',
    'metrics: { enabled: false, listen: "[::1]:0" }',
    'queryLog: { enabled: true, sampleRate: 0.01, file: logs/q.log }',
  ].join('\n'), 'h.yaml', '/srv/dns');
  t.same(c.server.listen, [
    { family: 4, address: '0.0.0.0', port: 53, protocols: ['udp', 'tcp'] },
    { family: 6, address: 'fe80::1%eth0', port: 0, protocols: ['tcp'] },
  ]);
  t.equal(c.server.udpPayloadSize, 4096);
  t.same(c.server.tcp, { idleTimeout: 1.5, minIdleTimeout: 0.2, messageTimeout: 1, maxConnections: 1000, maxConnectionsPerClient: 100, maxPipelined: 100, messagesPerTurn: 16 });
  t.equal(c.server.workers, 4);
  t.equal(c.server.dataDir, '/var/lib/horizond');
  t.equal(c.log.level, 'silent');
  t.same(c.metrics, { enabled: false, listen: { family: 6, address: '::1', port: 0 } });
  t.same(c.queryLog, { enabled: true, sampleRate: 0.01, views: [], file: join('/srv/dns', 'logs', 'q.log') });
});

t.test('server, metrics and queryLog errors', async (t) => {
  const text = [
    'server:',                                                          // 1
    '  listen:',                                                        // 2
    '    - { address: localhost }',                                     // 3
    '    - { address: "::", port: 53, protocols: [] }',                 // 4
    '    - { address: 0.0.0.0, port: 65536, protocols: [udp, tls] }',   // 5
    '  tcp: { idleTimeout: 2h, maxConnections: 0, maxPipelined: 70000 }', // 6
    '  dataDir: ""',                                                    // 7
    'metrics:',                                                         // 8
    '  listen: "::1:9153"',                                             // 9
    'queryLog:',                                                        // 10
    '  sampleRate: 0',                                                  // 11
    '  file: 7',                                                        // 12
  ].join('\n');
  t.same(errors(text), [
    'h.yaml:3:18: server.listen[0].address: expected an IP address such as 192.0.2.1 or 2001:db8::1',
    'h.yaml:4:45: server.listen[1].protocols: must not be empty',
    'h.yaml:5:33: server.listen[2].port: expected 0..65535',
    'h.yaml:5:57: server.listen[2].protocols[1]: expected one of udp, tcp',
    'h.yaml:6:23: server.tcp.idleTimeout: must be at most 1h',
    'h.yaml:6:43: server.tcp.maxConnections: expected 1..1000000',
    'h.yaml:6:60: server.tcp.maxPipelined: expected 1..65535',
    'h.yaml:7:12: server.dataDir: expected a path',
    'h.yaml:9:11: metrics.listen: expected an address and port such as 127.0.0.1:9153 or [::1]:9153',
    'h.yaml:11:15: queryLog.sampleRate: expected more than 0 and at most 1',
    'h.yaml:12:9: queryLog.file: expected a path, got a number',
  ]);
  t.same(errors('metrics: { listen: "127.0.0.1:99999" }'), ['h.yaml:1:20: metrics.listen: port must be 0..65535']);
  t.same(errors('server: { listen: [] }'), ['h.yaml:1:19: server.listen: must not be empty']);
});

t.test('several workers cannot serve a secondary zone (no transfer hand-off between them)', async (t) => {
  const e = errors([
    'server:',
    '  workers: 2',
    'zones:',
    '  - { name: example.org., type: secondary, primaries: [{ address: 192.0.2.1 }] }',
  ].join('\n'));
  t.match(e.join('\n'), /^h\.yaml:2:12: .*server\.workers > 1 cannot be combined with secondary zones \(example\.org\. is one\)/m);
  t.doesNotThrow(() => parseConfig('server: { workers: 2 }\n', 'h.yaml', '/srv/dns'), 'fine without one');
});
