import t from 'tap';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startDaemon } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { aRecord, FakeUpstream } from '../helpers/fake-upstream.js';
import { until } from '../helpers/transport.js';

/**
 * A URL list served by a local HTTP server: while the first download runs the daemon answers
 * unblocked and /readyz says why; once it lands, names are blocked; restarted with the HTTP
 * server gone, the daemon blocks from its saved copy from the first query.
 */

t.test('first download, readiness, and a restart without the list server', async (t) => {
  const up = await FakeUpstream.start();
  t.teardown(() => up.close());
  up.set('ads.example.org.', { answer: [aRecord('ads.example.org.', '192.0.2.7')] });
  let pending: ServerResponse | null = null;
  const http = createServer((req, res) => {
    if (req.headers['if-none-match'] === '"1"') { res.statusCode = 304; res.end(); return; }
    pending = res;
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/hosts`;
  const config = `server:
  listen: [{ address: 127.0.0.1, port: 0 }]
  dataDir: data
metrics: { listen: "127.0.0.1:0" }
forward:
  upstreams: [{ address: 127.0.0.1, port: ${up.port}, protocol: udp }]
blocking:
  lists:
    ads: ["${url}"]
`;
  const d = await startDaemon({ config, keepDir: true });
  let current = d;
  t.teardown(async () => { await current.stop(); const { rmSync } = await import('node:fs'); rmSync(d.dir, { recursive: true, force: true }); });
  const readyz = async () => {
    const r = await fetch(`http://${current.metrics!.address}:${current.metrics!.port}/readyz`);
    return { status: r.status, text: await r.text() };
  };
  await until(() => pending !== null, 15000, 'the download request');
  const waiting = await readyz();
  t.equal(waiting.status, 503);
  t.match(waiting.text, /waiting for the first download of blocklist http:\/\/127\.0\.0\.1:\d+\/hosts/);
  const before = await dig('127.0.0.1', d.port, 'ads.example.org');
  t.same(before.answer, ['ads.example.org. 300 IN A 192.0.2.7'], 'answered unblocked while the list downloads');

  pending!.setHeader('etag', '"1"');
  pending!.end('# hosts\n0.0.0.0 ads.example.org\n');
  await d.waitLog((r) => r.msg === 'blocklists loaded' && (r.names as number) > 0, 20000);
  for (let i = 0; i < 100 && (await readyz()).status !== 200; i++) await new Promise((r) => setTimeout(r, 100));
  t.equal((await readyz()).status, 200);
  t.same((await dig('127.0.0.1', d.port, 'ads.example.org')).answer, ['ads.example.org. 300 IN A 0.0.0.0']);

  http.closeAllConnections();
  await new Promise<void>((resolve) => http.close(() => resolve()));
  current = await d.restart();
  const first = await dig('127.0.0.1', current.port, 'ads.example.org');
  t.same(first.answer, ['ads.example.org. 300 IN A 0.0.0.0'], 'the first query after the restart is blocked');
  t.equal((await readyz()).status, 200, 'a saved copy: ready at once');
  t.equal(up.count('ads.example.org.'), 1, 'only the query before the download reached the upstream');
});
