import t from 'tap';
import { startDaemon, exampleConfig } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { startUnbound } from '../helpers/unbound.js';

/**
 * The daemon forwarding to a real resolver (Debian's unbound, started here on loopback) over
 * UDP, TCP, DNS over TLS and DNS over HTTPS — one conditional domain per protocol — and riding
 * out an outage of that resolver on stale answers.
 */
const H = '127.0.0.1';

t.test('forwarding to unbound over UDP, TCP, DoT and DoH; outage and recovery', async (t) => {
  const names = ['udp', 'tcp', 'tls', 'https'].map((p, i) => `www.${p}.test. 2 IN A 192.0.2.${10 + i}`);
  const ub = await startUnbound([...names, 'www.default.test. 2 IN A 192.0.2.20']);
  t.teardown(() => ub.close());
  const ca = ub.pki.caFile;
  const d = await startDaemon({
    copyZones: true,
    config: exampleConfig(`forward:
  upstreams: [{ address: 127.0.0.1, port: ${ub.plain}, protocol: udp }]
  timeout: 300ms
  attempts: 2
  domains:
    - { name: tcp.test., upstreams: [{ address: 127.0.0.1, port: ${ub.plain}, protocol: tcp }] }
    - { name: tls.test., upstreams: [{ address: 127.0.0.1, port: ${ub.tls}, protocol: tls, serverName: dns.test, caFile: "${ca}" }] }
    - { name: https.test., upstreams: [{ url: "https://dns.test:${ub.https}/dns-query", address: 127.0.0.1, protocol: https, caFile: "${ca}" }] }
cache:
  minTtl: 1s
  serveStale: { enabled: true, maxStale: 1h, answerTtl: 30s, clientTimeout: 1.8s, failureRecheck: 1s }
`),
  });
  t.teardown(() => d.stop());

  const all = ['udp', 'tcp', 'tls', 'https', 'default'];
  for (const [i, p] of ['udp', 'tcp', 'tls', 'https'].entries()) {
    const r = await dig(H, d.port, `www.${p}.test`, 'A');
    t.equal(r.status, 'NOERROR', `${p}: NOERROR`);
    t.same(r.answer, [`www.${p}.test. 2 IN A 192.0.2.${10 + i}`], `${p}: forwarded answer`);
  }
  await dig(H, d.port, 'www.default.test', 'A');

  await ub.stop(); // outage
  await new Promise((r) => setTimeout(r, 2200)); // every entry has expired
  for (const p of all) {
    const r = await dig(H, d.port, `www.${p}.test`, 'A', ['+time=5']);
    t.equal(r.status, 'NOERROR', `${p}: still answering during the outage`);
    t.match(r.answer[0] ?? '', new RegExp(`^www\\.${p}\\.test\\. 30 IN A 192\\.0\\.2\\.\\d+$`), `${p}: stale answer with TTL 30`);
  }

  await ub.start(); // recovery
  await new Promise((r) => setTimeout(r, 1200)); // past the failure-recheck window
  for (const p of all) {
    await dig(H, d.port, `www.${p}.test`, 'A', ['+time=5']); // triggers the refresh
  }
  await new Promise((r) => setTimeout(r, 500));
  for (const p of all) {
    const r = await dig(H, d.port, `www.${p}.test`, 'A', ['+time=5']);
    t.equal(r.status, 'NOERROR');
    const ttl = Number((r.answer[0] ?? '').split(' ')[1]);
    t.ok(ttl <= 2, `${p}: fresh again after recovery (TTL ${ttl}, not the stale 30)`);
  }
});
