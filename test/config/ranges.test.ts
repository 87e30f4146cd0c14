import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { makeCert } from '../helpers/tls.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { checkConfig } from '../../src/check.js';
import { configDefinition } from '../../src/config/load.js';
import type { Spec, Validator } from '../../src/config/schema.js';
import { createLogger } from '../../src/observability/log.js';
import { Server } from '../../src/server.js';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { MAIN } from '../helpers/daemon.js';

/**
 * `horizond check` and a starting daemon must agree on every config (issue 12: `cache.maxTtl:
 * 30d` passed check, then the daemon died on a second validation with other ranges). Every
 * numeric, duration and size key is found by walking the definitions the loader validates with
 * (so a new key is covered without touching this file), and its minimum, its maximum and the
 * values one past each end are fed to both. `check` runs in process (the function the CLI
 * calls); the daemon side is Server.create + listen + stop in process, what `horizond` does at
 * start before it waits for signals; a few values also go to real processes.
 */

interface NumericKey {
  /** Key path with `[]` for list items: `forward.upstreams[].port`. */
  path: string;
  spec: Extract<Spec, { kind: 'int' | 'number' | 'duration' | 'size' }>;
}

/** Every numeric key reachable through objects and lists; opaque validators are leaves. */
function numericKeys(v: Validator<unknown>, path: string, out: NumericKey[]): NumericKey[] {
  const spec = v.spec;
  if (spec === undefined) return out;
  switch (spec.kind) {
    case 'int': case 'number': case 'duration': case 'size':
      out.push({ path, spec });
      break;
    case 'object':
      for (const [key, field] of Object.entries(spec.shape)) numericKeys(field.validate, path === '' ? key : `${path}.${key}`, out);
      break;
    case 'list':
      numericKeys(spec.item, `${path}[]`, out);
      break;
    case 'dict':
      numericKeys(spec.value, `${path}.*`, out);
      break;
    default:
      break;
  }
  return out;
}

const KEYS = numericKeys(configDefinition, '', []);

/**
 * The smallest valid item of each list a numeric key lives in, and what else a key needs to be
 * valid at its limits. A new list holding numeric keys makes the test fail until it is added.
 */
const ITEM: Record<string, (key: string) => Record<string, unknown>> = {
  'server.listen': () => ({ address: '127.0.0.1', port: 0 }),
  'forward.upstreams': () => ({ address: '192.0.2.1' }),
  'forward.domains': () => ({ name: 'corp.example.', upstreams: [{ address: '192.0.2.2' }] }),
  'forward.domains[].upstreams': () => ({ address: '192.0.2.2' }),
  zones: (key) => key.includes('primaries')
    ? { name: 'test.', type: 'secondary', file: 'test.copy', primaries: [{ address: '192.0.2.3' }] }
    : key.includes('update')
      ? { name: 'test.', file: 'test.zone', update: { preset: 'kea', keys: ['k.'], networks: ['loopback'] } }
      : { name: 'test.', file: 'test.zone', notify: [{ address: '192.0.2.4' }] },
  'zones[].primaries': () => ({ address: '192.0.2.3' }),
  'zones[].notify': () => ({ address: '192.0.2.4' }),
  'views.list': () => ({ name: 'default' }),
  'views.list[].zones': (key) => ITEM.zones!(key),
  'views.list[].zones[].primaries': () => ({ address: '192.0.2.3' }),
  'views.list[].zones[].notify': () => ({ address: '192.0.2.4' }),
  'views.list[].translate': () => ({ external: '203.0.113.10', internal: '10.0.0.10' }),
  // a PostgreSQL sink nobody listens for (port 1): the daemon starts and the sink retries
  'queryLog.sinks': (key) => (key.includes('maxSize') ? { type: 'sqlite' } : { type: 'postgres', url: 'postgres://horizond@127.0.0.1:1/dns' }),
};

/** Other keys a value needs to be valid (cross-field rules), by key or by `section.` prefix. */
const CONTEXT: Record<string, Record<string, unknown>> = {
  'cache.maxTtl': { cache: { minTtl: 0 } },
  'blocking.': { blocking: { lists: { ads: ['ads.txt'] } } },
  // server.tls limits apply with a certificate (made below with openssl)
  'server.tls.': { server: { listen: [{ address: '127.0.0.1', port: 0 }], tls: { certFile: 'tls.crt', keyFile: 'tls.key' } } },
};

function contextFor(path: string): Record<string, unknown> {
  const prefix = Object.keys(CONTEXT).find((k) => k.endsWith('.') && path.startsWith(k));
  return CONTEXT[path] ?? (prefix === undefined ? {} : CONTEXT[prefix]!);
}

const BASE = {
  server: { listen: [{ address: '127.0.0.1', port: 0 }] },
  metrics: { enabled: false },
  // not what this test is about, and its writer thread would make every start slower
  queryLog: { enabled: false },
  keys: [{ name: 'k.', secret: Buffer.alloc(32, 7).toString('base64') }],
};

const ZONE = `$TTL 300
@ SOA ns.test. hostmaster.test. 1 3600 600 86400 60
  NS ns
ns A 192.0.2.1
`;

/** The config with `value` at `path` (list items built from ITEM), as an object for YAML. */
function configWith(path: string, value: number): Record<string, unknown> {
  const config: Record<string, unknown> = structuredClone({ ...BASE, ...contextFor(path) });
  const parts = path.split('.');
  let node = config;
  let seen = '';
  for (let i = 0; i < parts.length; i++) {
    let part = parts[i]!;
    const isList = part.endsWith('[]');
    if (isList) part = part.slice(0, -2);
    seen = seen === '' ? part : `${seen}.${part}`;
    if (i === parts.length - 1) {
      node[part] = value;
      break;
    }
    if (isList) {
      const make = ITEM[seen];
      if (make === undefined) throw new Error(`ranges.test.ts: no ITEM for the list ${seen} (holds ${path})`);
      const item = make(path);
      node[part] = [item];
      node = item;
      seen += '[]';
    } else {
      node[part] = (node[part] as Record<string, unknown> | undefined) ?? {};
      node = node[part] as Record<string, unknown>;
    }
  }
  return config;
}

/** Values to try: [value, whether the definition accepts it]. */
function probes(spec: NumericKey['spec']): [number, boolean][] {
  const step = spec.kind === 'duration' ? (spec.whole ? 1 : 0.001) : spec.kind === 'number' ? 1e-6 : 1;
  const out: [number, boolean][] = [];
  const exclusive = (spec.kind === 'number' && spec.exclusiveMin) || (spec.kind === 'duration' && spec.positive && spec.min === 0);
  if (exclusive) out.push([spec.min + step, true], [spec.min, false]);
  else out.push([spec.min, true], [spec.min - step, false]);
  if (Number.isFinite(spec.max)) out.push([spec.max, true], [spec.max + step, false]);
  return out;
}

type Verdict = { ok: true } | { ok: false; why: string };

/**
 * Starts the real daemon on `file` and waits (up to a minute: the machine may be busy) for its
 * ready line ('' then, and it is stopped) or its exit (its stderr then).
 */
function daemonStarts(file: string): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let ready = false;
    child.stderr!.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { stderr += 'no ready line within 60 s'; child.kill('SIGKILL'); }, 60_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!ready && line.includes('"msg":"ready"')) {
        ready = true;
        child.kill('SIGTERM');
      }
    });
    child.on('exit', () => {
      clearTimeout(timer);
      resolve(ready ? '' : stderr.trim() || 'exited before it was ready');
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'horizond-ranges-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'test.zone'), ZONE);
writeFileSync(join(dir, 'ads.txt'), 'ads.example.com\n');
makeCert(dir);
const file = join(dir, 'horizond.yaml');
const silent = createLogger('silent');

async function viaCheck(): Promise<Verdict> {
  const err: string[] = [];
  try {
    const code = await checkConfig(file, { out: () => {}, err: (l) => err.push(l) });
    return code === 0 ? { ok: true } : { ok: false, why: err.join('; ') };
  } catch (e) {
    return { ok: false, why: (e as Error).message };
  }
}

async function viaDaemon(): Promise<Verdict> {
  let server: Server | null = null;
  try {
    server = await Server.create(file, { log: silent });
    await server.listen();
    return { ok: true };
  } catch (e) {
    return { ok: false, why: (e as Error).message };
  } finally {
    await server?.stop(0);
  }
}

t.test('the walk finds the numeric keys of every section', async (t) => {
  const paths = KEYS.map((k) => k.path);
  for (const p of ['server.udpPayloadSize', 'server.tcp.idleTimeout', 'server.listen[].port', 'forward.timeout', 'forward.upstreams[].port',
    'cache.maxTtl', 'cache.maxBytes', 'cache.serveStale.clientTimeout', 'queryLog.sampleRate', 'zones[].update.scavenge.grace']) {
    t.ok(paths.includes(p), p);
  }
});

for (const key of KEYS) {
  t.test(key.path, async (t) => {
    for (const [value, valid] of probes(key.spec)) {
      writeFileSync(file, stringify(configWith(key.path, value)));
      const check = await viaCheck();
      const daemon = await viaDaemon();
      t.equal(check.ok, valid, `${value}: check ${valid ? 'accepts' : 'refuses'} it${check.ok ? '' : ` (${check.why})`}`);
      t.equal(daemon.ok, check.ok, `${value}: the daemon agrees${daemon.ok ? '' : ` (${daemon.why})`}`);
    }
  });
}

t.test('real processes agree too (the values of the bug report)', async (t) => {
  const run = promisify(execFile);
  const cases: [string, Record<string, unknown>, boolean][] = [
    ['cache.maxTtl: 30d', { cache: { maxTtl: '30d' } }, true],
    ['cache.serveStale.maxStale: 31d', { cache: { serveStale: { maxStale: '31d' } } }, false],
    ['cache.serveStale.clientTimeout: 30s', { cache: { serveStale: { clientTimeout: '30s' } } }, true],
  ];
  for (const [what, extra, valid] of cases) {
    const config = stringify({ ...BASE, ...extra });
    writeFileSync(file, config);
    const checked = await run(process.execPath, [MAIN, 'check', '--config', file], { timeout: 20_000 }).then(() => '', (e: Error) => e.message);
    t.equal(checked === '', valid, `${what}: horizond check ${valid ? 'ok' : 'refuses it'} ${checked}`);
    const started = await daemonStarts(file);
    t.equal(started === '', valid, `${what}: the daemon ${valid ? 'starts' : 'refuses to start'} ${started}`);
  }
});
