import t from 'tap';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { BlockingManager } from '../../src/blocking/manager.js';
import type { BlockingConfig } from '../../src/config/types.js';
import { createLogger } from '../../src/observability/log.js';
import { nameToWire } from '../../src/wire/name.js';
import { until } from '../helpers/transport.js';

/**
 * URL and file sources against a local HTTP server started here: ETag/304, 404, 5xx, slow,
 * redirect loop, oversized, garbage; a restart with the server gone serves the saved copy.
 */

type Route = (req: IncomingMessage, res: ServerResponse) => void;

async function httpServer(routes: Map<string, Route>) {
  const requests: { url: string; inm: string | undefined }[] = [];
  const server = createServer((req, res) => {
    requests.push({ url: req.url!, inm: req.headers['if-none-match'] });
    const r = routes.get(req.url!);
    if (r) r(req, res);
    else { res.statusCode = 404; res.end('not found'); }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}`, requests,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

function logCapture() {
  const records: Record<string, unknown>[] = [];
  const stream = new Writable({ write(chunk, _e, cb) { for (const l of String(chunk).split('\n')) if (l) records.push(JSON.parse(l)); cb(); } });
  return { log: createLogger('info', stream), records };
}

function cfg(sources: string[], extra: Partial<BlockingConfig> = {}): BlockingConfig {
  return {
    lists: [{ name: 'ads', sources: sources.map((s) => (s.startsWith('http') ? { kind: 'url', url: s, text: s } : { kind: 'file', path: s, text: s })) }],
    allow: [], answer: 'zero', ttl: 300, refresh: 86_400, maxSize: 4096, timeout: 1, maxRedirects: 3, ...extra,
  };
}

const blocked = (m: BlockingManager, name: string) => m.set.match(nameToWire(`${name}.`), 0, 1) === 0;

let body = '0.0.0.0 one.example\n0.0.0.0 two.example\n';
let etag = '"v1"';
let mode: 'ok' | '404' | '500' | 'garbage' | 'html' = 'ok';
const routes = new Map<string, Route>([
  ['/list', (req, res) => {
    if (mode === '404') { res.statusCode = 404; res.end('gone'); return; }
    if (mode === '500') { res.statusCode = 503; res.end('busy'); return; }
    if (mode === 'garbage') { res.end(Buffer.from(Array.from({ length: 2000 }, (_, i) => (i * 7919) & 0xff))); return; }
    if (mode === 'html') { res.setHeader('content-type', 'text/html'); res.end('<html><body>Rate limited</body></html>\n'); return; }
    if (req.headers['if-none-match'] === etag) { res.statusCode = 304; res.end(); return; }
    res.setHeader('etag', etag);
    res.end(body);
  }],
  ['/slow', (_req, res) => { res.setHeader('content-type', 'text/plain'); res.write('0.0.0.0 slow.example\n'); /* never ends */ }],
  ['/loop', (_req, res) => { res.statusCode = 302; res.setHeader('location', '/loop'); res.end(); }],
  ['/big', (_req, res) => { res.end('0.0.0.0 big.example\n'.repeat(1000)); }],
]);

t.test('URL source: download, saved copy, 304, failures keep the last good set', async (t) => {
  const srv = await httpServer(routes);
  t.teardown(srv.close);
  const dir = mkdtempSync(join(tmpdir(), 'horizond-blocking-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { log, records } = logCapture();
  const m = new BlockingManager({ dataDir: dir, log, inline: true });
  t.teardown(() => m.close());
  m.adopt(cfg([`${srv.base}/list`]));
  await until(() => m.waiting() === null, 10000, 'first download');
  await m.settled();
  t.ok(blocked(m, 'one.example') && blocked(m, 'x.two.example'));
  t.equal(readdirSync(join(dir, 'blocking')).filter((f) => f.endsWith('.list')).length, 1, 'saved copy');
  t.equal(m.sources()[0]!.lastRefresh?.result, 'ok');

  await m.refresh();
  t.equal(srv.requests.at(-1)!.inm, '"v1"', 'conditional GET');
  t.equal(m.sources()[0]!.lastRefresh?.result, 'not_modified');

  body = '0.0.0.0 three.example\n'; etag = '"v2"';
  await m.refresh();
  t.ok(blocked(m, 'three.example'));
  t.notOk(blocked(m, 'one.example'), 'the new text replaces the old');

  const failures: [typeof mode, string][] = [['404', 'http_error'], ['500', 'http_error'], ['garbage', 'empty'], ['html', 'empty']];
  for (const [m2, result] of failures) {
    mode = m2;
    const warnsBefore = records.filter((r) => r.level === 'warn').length;
    await m.refresh();
    t.equal(m.sources()[0]!.lastRefresh?.result, result, `${m2} → ${result}`);
    t.ok(blocked(m, 'three.example'), `${m2}: the last good set keeps serving`);
    t.ok(records.filter((r) => r.level === 'warn').length <= warnsBefore + 1, `${m2}: logged at most once`);
  }
  mode = '500';
  const before = records.filter((r) => r.level === 'warn').length;
  await m.refresh();
  await m.refresh();
  t.equal(records.filter((r) => r.level === 'warn').length, before + 1, 'a repeated failure is logged once (result changed from empty to http_error)');
  const warn = records.filter((r) => r.level === 'warn').at(-1)!;
  t.equal(warn.source, `${srv.base}/list`);
  t.equal(warn.code, 'HZ_ERR_BLOCKING_DOWNLOAD');
  mode = 'ok';
  t.ok([...m.refreshCounts()].some(([, r, n]) => r === 'http_error' && n >= 3));
});

t.test('slow, redirect loop, oversized, unreachable: each fails, nothing replaced', async (t) => {
  const srv = await httpServer(routes);
  t.teardown(srv.close);
  const dir = mkdtempSync(join(tmpdir(), 'horizond-blocking-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const good = join(dir, 'good.txt');
  writeFileSync(good, 'kept.example\n');
  const m = new BlockingManager({ dataDir: dir, log: logCapture().log, inline: true });
  t.teardown(() => m.close());
  const urls = ['/slow', '/loop', '/big'].map((p) => `${srv.base}${p}`);
  urls.push('http://127.0.0.1:9/unreachable');
  m.adopt(cfg([good, ...urls]));
  await until(() => m.waiting() === null, 15000, 'first downloads');
  await m.settled();
  const by = new Map(m.sources().map((s) => [s.source, s]));
  t.equal(by.get(`${srv.base}/slow`)?.lastRefresh?.result, 'timeout');
  t.equal(by.get(`${srv.base}/loop`)?.lastRefresh?.result, 'redirects');
  t.equal(by.get(`${srv.base}/big`)?.lastRefresh?.result, 'too_large');
  t.equal(by.get('http://127.0.0.1:9/unreachable')?.lastRefresh?.result, 'unreachable');
  t.ok(blocked(m, 'kept.example'));
  t.notOk(blocked(m, 'slow.example') || blocked(m, 'big.example'));
  t.equal(readdirSync(join(dir, 'blocking')).length, 0, 'no partial file left behind');
});

t.test('no copy yet: unblocked while the first download runs, readiness says so; a restart without the server blocks from the saved copy', async (t) => {
  let release: (() => void) | null = null;
  const gated = new Map<string, Route>([['/list', (_req, res) => { release = () => res.end('0.0.0.0 gated.example\n'); }]]);
  const srv = await httpServer(gated);
  const dir = mkdtempSync(join(tmpdir(), 'horizond-blocking-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const m = new BlockingManager({ dataDir: dir, log: logCapture().log, inline: true });
  m.adopt(cfg([`${srv.base}/list`]));
  await until(() => release !== null, 10000, 'request arrives');
  t.match(m.waiting(), /waiting for the first download of blocklist http:\/\/127\.0\.0\.1:\d+\/list/);
  t.notOk(blocked(m, 'gated.example'), 'answered unblocked meanwhile');
  release!();
  await until(() => m.waiting() === null, 10000, 'download done');
  await m.settled();
  t.ok(blocked(m, 'gated.example'));
  await m.close();
  await srv.close();

  const again = new BlockingManager({ dataDir: dir, log: logCapture().log, inline: true });
  t.teardown(() => again.close());
  again.adopt(cfg([`${srv.base}/list`]));
  t.equal(again.waiting(), null, 'a saved copy exists: nothing to wait for');
  await again.settled();
  t.ok(blocked(again, 'gated.example'), 'blocks from the saved copy before any download');
  t.equal(again.sources()[0]!.lastRefresh, null, 'the copy is fresh: next download due at saved time + refresh');
  await again.refresh();
  t.equal(again.sources()[0]!.lastRefresh?.result, 'unreachable');
  t.ok(blocked(again, 'gated.example'));
});

t.test('file sources: re-read on adopt when changed; deleted or emptied files keep their last good keys', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'horizond-blocking-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const f = join(dir, 'l.txt');
  writeFileSync(f, 'a.example\n');
  const m = new BlockingManager({ dataDir: dir, log: logCapture().log, inline: true });
  t.teardown(() => m.close());
  m.adopt(cfg([f]));
  await m.settled();
  t.ok(blocked(m, 'a.example'));
  writeFileSync(f, 'b.example\n# more\n');
  m.adopt(cfg([f]));
  await m.settled();
  t.ok(blocked(m, 'b.example'));
  t.notOk(blocked(m, 'a.example'));
  writeFileSync(f, 'not a list at all\n\u0000\u0001\n');
  m.adopt(cfg([f]));
  await m.settled();
  t.equal(m.sources()[0]!.lastRefresh?.result, 'empty');
  t.ok(blocked(m, 'b.example'));
  rmSync(f);
  m.adopt(cfg([f]));
  await m.settled();
  t.equal(m.sources()[0]!.lastRefresh?.result, 'missing');
  t.ok(blocked(m, 'b.example'));
  t.notOk(existsSync(join(dir, 'blocking')), 'file sources need no saved copy');
});

t.test('pause and resume, for all views or one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'horizond-blocking-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const m = new BlockingManager({ dataDir: dir, log: logCapture().log, inline: true });
  t.teardown(() => m.close());
  const e0 = m.epoch;
  m.pause(5, 'lan');
  t.ok(m.epoch > e0);
  t.ok(m.pausedUntil('lan')! > Date.now());
  t.equal(m.pausedUntil('k8s'), null);
  m.pause(1);
  t.ok(m.pausedUntil('k8s') !== null);
  m.resume();
  t.equal(m.pausedUntil('lan'), null);
  t.equal(m.pausedUntil('k8s'), null);
});
