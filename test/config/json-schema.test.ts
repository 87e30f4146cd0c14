/**
 * config/horizond.schema.json: generated from the loader's own validators (src/config/json-schema.ts),
 * current, accepted for every example config in the repository, and rejecting what the loader
 * rejects (as far as a schema can say it: shape, types, ranges, enums, unknown keys).
 */
import t from 'tap';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { parse, parseAllDocuments } from 'yaml';
import { ConfigError, parseConfig } from '../../src/config/index.js';
import { configJsonSchema, configJsonSchemaText } from '../../src/config/json-schema.js';
import { ROOT } from '../helpers/daemon.js';

// ajv is CommonJS (`module.exports = Ajv` with a default property).
const Ajv = createRequire(import.meta.url)('ajv') as { default: new (o: object) => { compile(s: object): ((d: unknown) => boolean) & { errors?: unknown } } };
const ajv = new Ajv.default({ strict: true, allErrors: true });
const validate = ajv.compile(configJsonSchema());
const SCHEMA_FILE = join(ROOT, 'config', 'horizond.schema.json');

const yamlIn = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => join(dir, f)) : []);
/** Every example config file: config/*.yaml, config/examples/*.yaml, deploy/docker/*.yaml. */
const exampleFiles = [...yamlIn(join(ROOT, 'config')), ...yamlIn(join(ROOT, 'config', 'examples')), ...yamlIn(join(ROOT, 'deploy', 'docker'))];

t.test('the committed schema is what the definitions generate (npm run schema)', async (t) => {
  t.equal(readFileSync(SCHEMA_FILE, 'utf8'), configJsonSchemaText(), 'config/horizond.schema.json is current: run `npm run schema`');
  t.notMatch(configJsonSchemaText(), /"undescribed"/, 'every validator describes itself (schema.ts describe)');
});

t.test('every example config is accepted and names the schema for editors', async (t) => {
  t.ok(exampleFiles.length >= 2);
  for (const file of exampleFiles) {
    const rel = file.slice(ROOT.length + 1);
    const text = readFileSync(file, 'utf8');
    t.ok(validate(parse(text) ?? {}), `${rel} is valid: ${JSON.stringify(validate.errors)}`);
    const m = /^# yaml-language-server: \$schema=(\S+)$/m.exec(text);
    t.ok(m, `${rel} has a yaml-language-server $schema line`);
    if (m) t.ok(existsSync(join(file, '..', m[1]!)), `${rel}: ${m[1]} points at the schema file`);
    if (m) t.equal(readFileSync(join(file, '..', m[1]!), 'utf8'), readFileSync(SCHEMA_FILE, 'utf8'));
  }
});

t.test('the configs embedded in the Kubernetes ConfigMap are accepted', async (t) => {
  const docs = parseAllDocuments(readFileSync(join(ROOT, 'deploy', 'kubernetes', 'configmap.yaml'), 'utf8')).map((d) => d.toJS() as { kind?: string; metadata?: { name?: string }; data?: Record<string, string> });
  const configs = docs.filter((d) => d.kind === 'ConfigMap' && d.metadata?.name === 'horizond-config').flatMap((d) => Object.entries(d.data ?? {}));
  t.ok(configs.length > 0);
  for (const [name, text] of configs) t.ok(validate(parse(text) ?? {}), `${name}: ${JSON.stringify(validate.errors)}`);
});

t.test('what the loader rejects, the schema rejects', async (t) => {
  const dir = t.testdir({ 'z.zone': '@ SOA ns h 1 1 1 1 1\n@ NS ns\nns A 192.0.2.1\n' });
  const bad = [
    'sever: {}',                                                       // unknown top-level key
    'server: { lisen: [] }',                                           // unknown nested key
    'server: { workers: "2" }',                                        // wrong type
    'server: { workers: 0 }',                                          // below the range
    'server: { workers: 65 }',                                         // above the range
    'server: { udpPayloadSize: 511 }',
    'server: { listen: [ { address: 127.0.0.1, port: 65536 } ] }',
    'server: { listen: [ { port: 53 } ] }',                            // required key missing
    'server: { listen: [ { address: 127.0.0.1, protocols: [quic] } ] }',
    'server: { listen: [] }',                                          // empty list where one is needed
    'server: { tcp: { idleTimeout: 10 parsecs } }',                    // not a duration
    'server: { tcp: { idleTimeout: 3601 } }',                          // duration above its max
    'log: { level: loud }',                                            // not in the enum
    'cache: { maxBytes: lots }',                                       // not a size
    'cache: { maxEntries: -1 }',
    'cache: { prefetch: yes please }',
    'queryLog: { sampleRate: 2 }',
    'metrics: { listen: localhost }',
    'forward: { upstreams: sytem }',
    'forward: { upstreams: [ { address: 192.0.2.1, protocol: carrier-pigeon } ] }',
    'forward: { attempts: 11 }',
    'forward: { nxdomain: ["bad name"] }',
    'networks: { any: [10.0.0.0/8] }',                                 // a built-in name redefined
    'networks: { "1lan": [10.0.0.0/8] }',                              // a bad network name
    'keys: [ { name: k., algorithm: hmac-sha3, secret: "aGVsbG8=" } ]',
    'zones: [ { name: z., file: z.zone, extra: 1 } ]',
    'zones: [ { file: z.zone } ]',
    'zones: [ { name: z., type: secondary, primaries: [ { address: 192.0.2.1, port: 0 } ] } ]',
    'zones: [ { name: z., file: z.zone, update: { keys: [], networks: [any], rules: [ { name: { zone: true }, types: [AXFR-ish!] } ] } } ]',
    'views: { list: [ { name: lan, match: [any], recursion: maybe } ] }',
    '[1, 2]',                                                          // not a mapping
  ];
  for (const text of bad) {
    let loaderRejects = false;
    try {
      parseConfig(text, 'h.yaml', dir);
    } catch (err) {
      loaderRejects = err instanceof ConfigError;
    }
    t.ok(loaderRejects, `the loader rejects: ${text}`);
    t.notOk(validate(parse(text)), `the schema rejects: ${text}`);
  }
});

t.test('what the loader accepts in shape, the schema accepts', async (t) => {
  const dir = t.testdir({ 'z.zone': '@ SOA ns h 1 1 1 1 1\n@ NS ns\nns A 192.0.2.1\n', 'resolv.conf': 'nameserver 192.0.2.53\n' });
  const good = [
    '',
    'server: { listen: [ { address: "::1", port: 0 } ], tcp: { idleTimeout: 1m30s }, workers: 2 }',
    'cache: { maxBytes: 1GiB, maxTtl: 86400, serveStale: { clientTimeout: 1.8s } }',
    'forward: { upstreams: system, resolvConf: resolv.conf }',
    'forward: { upstreams: [ { url: "https://dns.example/dns-query", protocol: https } ] }',
    'zones: [ { name: z., file: z.zone, update: { keys: [k.], networks: [loopback, 10.0.0.0/8], rules: [ { name: { zone: true }, types: ["*"] } ] } } ]\nkeys: [ { name: k., secret: "aGVsbG8=" } ]',
    'zones: [ { name: z., file: z.zone, update: { keys: [k.], networks: [any], rules: [ { name: { exact: a.z. }, types: [A, aaaa, TYPE65400, ANY] } ] } } ]\nkeys: [ { name: k., secret: "aGVsbG8=" } ]',
    'zones: [ { name: s., type: secondary, primaries: [ { address: ns1.example.net } ] } ]',
    'networks: { lan: [192.168.1.0/24, "fd00::/64"] }\nrecursion: { allow: [lan, loopback] }',
  ];
  for (const text of good) {
    t.doesNotThrow(() => parseConfig(text, 'h.yaml', dir), `the loader accepts: ${text}`);
    t.ok(validate(parse(text) ?? {}), `the schema accepts: ${text} ${JSON.stringify(validate.errors)}`);
  }
});
