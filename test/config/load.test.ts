import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import { ConfigError, DEFAULTS, formatConfig, loadConfig, parseConfig, type Config } from '../../src/config/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ZONE = '$ORIGIN x.\n@ 3600 IN SOA ns hostmaster 1 3600 600 86400 60\n@ 3600 IN NS ns\n';

function errors(text: string, dir = '/nonexistent'): string[] {
  try {
    parseConfig(text, 'h.yaml', dir);
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  throw new Error('config was accepted');
}

t.test('an empty file is the documented defaults', async (t) => {
  for (const text of ['', '# only a comment\n', 'server:\ncache:\n']) {
    const c = parseConfig(text, 'h.yaml', '/etc/horizond');
    t.equal(c.file, 'h.yaml');
    t.equal(c.baseDir, '/etc/horizond');
    t.same(c.server.listen, [
      { family: 4, address: '127.0.0.1', port: 5353, protocols: ['udp', 'tcp'] },
      { family: 6, address: '::1', port: 5353, protocols: ['udp', 'tcp'] },
    ]);
    t.same(c.server.tcp, { idleTimeout: 10, maxConnections: 1000, maxPipelined: 100 });
    t.equal(c.server.udpPayloadSize, 1232);
    t.equal(c.server.workers, 1);
    t.equal(c.server.dataDir, '/etc/horizond/data', 'dataDir is relative to the config directory');
    t.equal(c.log.level, 'info');
    t.same(c.zones, []);
    t.same(c.keys, []);
    t.same(c.recursion.allow.map((p) => `${p.address}/${p.length}`), [
      '127.0.0.0/8', '::1/128', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10',
      '169.254.0.0/16', 'fe80::/10', 'fc00::/7',
    ]);
    t.same(c.forward, { upstreams: [], system: null, timeout: 1, attempts: 3, domains: [], nxdomain: [] });
    t.same(c.cache, {
      maxEntries: 100_000, maxBytes: 64 * 1024 * 1024, minTtl: 60, maxTtl: 7 * 86_400, negativeMaxTtl: 3 * 3600,
      servfailTtl: 5, prefetch: true,
      serveStale: { enabled: true, maxStale: 3 * 86_400, answerTtl: 30, clientTimeout: 1.8, failureRecheck: 30 },
    });
    t.equal(c.views.list.length, 1, 'one implicit view');
    t.same(c.views.list[0]!.name, 'default');
    t.same(c.views.list[0]!.match.map((p) => `${p.address}/${p.length}`), ['0.0.0.0/0', '::/0']);
    t.same(c.rebinding.privateDomains, ['lan.', 'home.arpa.', 'in-addr.arpa.', 'ip6.arpa.']);
    t.same(c.metrics, { enabled: true, listen: { family: 4, address: '127.0.0.1', port: 9153 } });
    t.same(c.queryLog, { enabled: false, sampleRate: 1, views: [], file: null });
  }
});

t.test('the config is deeply frozen', async (t) => {
  const dir = t.testdir({ 'x.zone': ZONE });
  const c = parseConfig('zones: [{ name: x., file: x.zone }]\nnetworks: { lan: [10.0.0.0/8] }\n', 'h.yaml', dir);
  const frozen: unknown[] = [c, c.server, c.server.listen, c.server.listen[0], c.server.listen[0]!.protocols, c.server.tcp,
    c.zones, c.zones[0], c.networks, c.networks['lan'], c.networks['lan']![0], c.networks['lan']![0]!.bytes,
    c.views.list[0]!.zones, c.cache.serveStale, c.recursion.allow];
  for (const o of frozen) t.ok(Object.isFrozen(o), 'frozen');
  t.throws(() => {
    (c.server as { workers: number }).workers = 4;
  }, TypeError);
  t.throws(() => {
    (c.zones as unknown as ZoneLike[]).push({ name: 'y.' });
  }, TypeError);
  t.equal(c.server.workers, 1);
  t.equal(DEFAULTS.cache.minTtl, '60s');
  t.ok(Object.isFrozen(DEFAULTS.server.listen[0]), 'the defaults table is frozen too');
});
type ZoneLike = { name: string };

t.test('all problems are reported at once, in file order', async (t) => {
  const text = [
    'cache:',                     // 1
    '  servfailTtl: 10m',         // 2
    'server:',                    // 3
    '  workers: 0',               // 4
    '  udpPayloadSize: 100',      // 5
    'log: { level: loud }',       // 6
  ].join('\n');
  t.same(errors(text), [
    'h.yaml:2:16: cache.servfailTtl: expected 1s..5m',
    'h.yaml:4:12: server.workers: expected 1..64',
    'h.yaml:5:19: server.udpPayloadSize: expected 512..4096',
    'h.yaml:6:15: log.level: expected one of trace, debug, info, warn, error, fatal, silent',
  ]);
  try {
    parseConfig(text, 'h.yaml', '/');
  } catch (err) {
    const e = err as ConfigError;
    t.equal(e.name, 'ConfigError');
    t.equal(e.code, 'HZ_ERR_CONFIG');
    t.same(e.errors[0], { file: 'h.yaml', line: 2, col: 16, path: 'cache.servfailTtl', message: 'expected 1s..5m' });
    t.equal(e.errors.length, 4);
  }
});

t.test('YAML syntax errors carry positions', async (t) => {
  t.same(errors('server:\n  workers: 1\n  workers: 2\n'), ['h.yaml:3:3: invalid YAML: Map keys must be unique']);
  t.same(errors('zones: [\n'), [
    'h.yaml:2:1: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
  ]);
  t.same(errors('- a\n- b\n'), ['h.yaml:1:1: expected a mapping, got a list']);
  t.same(errors('a: 1\n---\nb: 2\n'), [
    'h.yaml:2:1: invalid YAML: Source contains multiple documents; please use YAML.parseAllDocuments()',
  ]);
});

t.test('anchors and aliases work; an unknown alias is an error', async (t) => {
  const c = parseConfig('networks:\n  lan: &lan [10.0.0.0/8]\nrecursion:\n  allow: *lan\n', 'h.yaml', '/');
  t.same(c.recursion.allow.map((p) => p.address), ['10.0.0.0']);
  t.match(errors('recursion:\n  allow: *nope\n')[0], /^h\.yaml:2:10: /);
});

t.test('loadConfig reads the file and resolves paths against its directory', async (t) => {
  const dir = t.testdir({ etc: { 'h.yaml': 'zones: [{ name: x., file: ../zones/x.zone }]\nserver: { dataDir: state }\n' }, zones: { 'x.zone': ZONE } });
  const c = await loadConfig(join(dir, 'etc', 'h.yaml'));
  t.equal(c.zones[0]!.file, join(dir, 'zones', 'x.zone'));
  t.equal(c.server.dataDir, join(dir, 'etc', 'state'));
  t.equal(c.baseDir, join(dir, 'etc'));
  await t.rejects(loadConfig(join(dir, 'missing.yaml')), { name: 'ConfigError', message: `${join(dir, 'missing.yaml')}: cannot read: no such file` });
});

function roundTrip(t: Test, c: Config): void {
  const text = formatConfig(c, { revealSecrets: true });
  const again = parseConfig(text, c.file, c.baseDir);
  t.same(again, c, 'formatted config loads back equal');
  t.same(again.keys.map((k) => k.secret.base64()), c.keys.map((k) => k.secret.base64()), 'secrets survive');
  t.equal(formatConfig(again, { revealSecrets: true }), text, 'formatting is stable');
}

t.test('the repository example loads, with the zone files beside it', async (t) => {
  const file = join(ROOT, 'config', 'horizond.yaml');
  const c = await loadConfig(file);
  t.same(c.server.listen.map((l) => `${l.address} ${l.port} ${l.protocols.join('+')}`), ['127.0.0.1 5353 udp+tcp', '::1 5353 udp+tcp']);
  t.same(c.zones.map((z) => [z.name, z.file]), [
    ['home.lan.', join(ROOT, 'zones', 'home.lan.zone')],
    ['1.168.192.in-addr.arpa.', join(ROOT, 'zones', '1.168.192.in-addr.arpa.zone')],
  ]);
  t.same(c.zones.map((z) => z.update?.rules[0]?.types), [[1, 28, 49, 255], [12, 49, 255]], 'kea preset, forward and reverse');
  t.equal(c.server.dataDir, join(ROOT, 'data'));
  t.same(c.keys.map((k) => [k.name, k.algorithm, k.secret.bytes().length]), [['kea-ddns.', 'hmac-sha256', 32]]);
  roundTrip(t, c);
});

t.test('a full configuration round-trips through formatConfig', async (t) => {
  // the example with its `forward` (upstreams: system) replaced by explicit upstreams
  const example = readFileSync(join(ROOT, 'config', 'horizond.yaml'), 'utf8').replace(/^forward:\n(?: .*\n)*/m, '');
  // the commented-out sections of the example, switched on
  const extra = [
    'forward:',
    '  upstreams:',
    '    - { address: 192.0.2.53, port: 53, protocol: udp }',
    '    - { address: 1.1.1.1, protocol: tls, serverName: cloudflare-dns.com }',
    '    - { url: "https://dns.example/dns-query", address: 127.0.0.1, protocol: https }',
    '  domains:',
    '    - { name: corp.example., upstreams: [ { address: 10.1.1.1 } ] }',
    '  nxdomain: [secret.example.]',
    'views:',
    '  trustedForwarders: [k8s]',
    '  list:',
    '    - name: lan',
    '      match: [lan]',
    '      translate:',
    '        - { external: 203.0.113.10, internal: 10.0.20.200 }',
    '        - { external: 203.0.113.0/28, internal: 10.0.20.0/28 }',
    '      zones:',
    '        - { name: example.net., file: ../zones/home.lan.zone, fallthrough: true }',
    '        - { name: home.lan., file: ../zones/home.lan.zone, allowInclude: true }',
    '    - name: default',
    'queryLog: { enabled: true, sampleRate: 0.25, views: [lan], file: ../data/queries.log }',
  ].join('\n');
  const text = example.replace('  # k8s: [10.42.0.0/16]', '  k8s: [10.42.0.0/16]').replace(/^queryLog:[\s\S]*$/m, '') + extra + '\n';
  const c = parseConfig(text, 'config/horizond.yaml', join(ROOT, 'config'));
  t.same(c.forward.upstreams.map((u) => u.id), ['udp://192.0.2.53:53', 'tls://1.1.1.1:853', 'https://dns.example/dns-query']);
  t.equal(c.forward.upstreams[2]!.serverName, 'dns.example', 'serverName defaults to the url host');
  t.same(c.rebinding.privateDomains.at(-1), 'corp.example.', 'conditional forwarding domains may hold private addresses');
  const lan = c.views.list[0]!;
  t.same(lan.zones.map((z) => z.name), ['home.lan.', '1.168.192.in-addr.arpa.', 'example.net.']);
  t.equal(lan.zones[0]!.allowInclude, true, 'the view replaces the global home.lan.');
  t.equal(lan.zones[1], c.zones[1], 'global zones are shared, not copied');
  t.same(c.views.list[1]!.zones, c.zones);
  roundTrip(t, c);
});

t.test('secrets are redacted when the config is printed', async (t) => {
  const c = parseConfig('keys: [{ name: k., secret: "c2VjcmV0LXNlY3JldC1zZWNyZXQ=" }]\n', 'h.yaml', '/');
  t.notMatch(formatConfig(c), 'c2VjcmV0');
  t.notMatch(JSON.stringify(c), 'c2VjcmV0');
  t.match(formatConfig(c), 'secret: "[redacted]"');
  t.equal(c.keys[0]!.secret.bytes().toString(), 'secret-secret-secret');
});
