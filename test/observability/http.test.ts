import t, { type Test } from 'tap';
import { request, Agent } from 'node:http';
import { Readiness } from '../../src/observability/health.js';
import { OpsHttpServer } from '../../src/observability/http.js';
import { Metrics } from '../../src/observability/metrics.js';

interface Reply { status: number; type: string; body: string; headers: Record<string, unknown> }

function get(port: number, path: string, method = 'GET', agent?: Agent, host = '127.0.0.1'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, method, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function start(t: Test, address = '127.0.0.1') {
  const metrics = new Metrics({ processMetrics: false });
  metrics.add({ collect: (s) => s.value('horizond_cache_hits_total', null, 42) });
  const health = new Readiness();
  const server = new OpsHttpServer({ address, port: 0, metrics, health });
  const bound = await server.start();
  t.teardown(() => server.close());
  return { server, health, port: bound.port, bound };
}

t.test('/metrics serves the Prometheus text format', async (t) => {
  const { port } = await start(t);
  const r = await get(port, '/metrics');
  t.equal(r.status, 200);
  t.match(r.type, /^text\/plain; version=0\.0\.4/);
  t.match(r.body, /^horizond_cache_hits_total 42$/m);
  t.match(r.body, /^# HELP horizond_cache_hits_total /m);
  const q = await get(port, '/metrics?name[]=x');
  t.equal(q.status, 200, 'query strings are ignored');
});

t.test('/healthz is alive from the start; /readyz follows the lifecycle', async (t) => {
  const { port, health } = await start(t);
  t.equal((await get(port, '/healthz')).status, 200);
  let r = await get(port, '/readyz');
  t.equal(r.status, 503, 'not ready while loading');
  t.equal(r.body, 'loading\n');
  health.loaded();
  r = await get(port, '/readyz');
  t.equal(r.status, 503, 'loaded but listeners not bound yet');
  t.equal(r.body, 'starting\n');
  health.listening();
  r = await get(port, '/readyz');
  t.equal(r.status, 200);
  t.equal(r.body, 'ready\n');
  health.stopping();
  r = await get(port, '/readyz');
  t.equal(r.status, 503, 'shutting down');
  t.equal(r.body, 'stopping\n');
  health.listening();
  t.equal((await get(port, '/readyz')).status, 503, 'stopping is final');
  t.equal((await get(port, '/healthz')).status, 200, 'still alive while stopping');
});

t.test('HEAD, unknown paths and other methods', async (t) => {
  const { port } = await start(t);
  const h = await get(port, '/healthz', 'HEAD');
  t.equal(h.status, 200);
  t.equal(h.body, '');
  t.equal(h.headers['content-length'], '3');
  t.equal((await get(port, '/')).status, 404);
  t.equal((await get(port, '/metrics/extra')).status, 404);
  const p = await get(port, '/metrics', 'POST');
  t.equal(p.status, 405);
  t.equal(p.headers.allow, 'GET, HEAD');
});

t.test('close() ends keep-alive connections too, and is idempotent', async (t) => {
  const { server, port } = await start(t);
  const agent = new Agent({ keepAlive: true });
  t.teardown(() => agent.destroy());
  t.equal((await get(port, '/healthz', 'GET', agent)).status, 200);
  const began = Date.now();
  await Promise.all([server.close(), server.close()]);
  t.ok(Date.now() - began < 1000, 'an idle keep-alive connection does not hold close() up');
  await t.rejects(get(port, '/healthz'), { code: 'ECONNREFUSED' });
});

t.test('IPv6 loopback, and a taken port is a clear error', async (t) => {
  const { port } = await start(t, '::1');
  t.equal((await get(port, '/healthz', 'GET', undefined, '::1')).status, 200);
  const clash = new OpsHttpServer({ address: '::1', port, metrics: new Metrics({ processMetrics: false }), health: new Readiness() });
  await t.rejects(clash.start(), /metrics: cannot listen on \[::1\]:\d+: EADDRINUSE/);
  await clash.close();
});
