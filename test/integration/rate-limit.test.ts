import t from 'tap';
import dgram from 'node:dgram';
import { startDaemon, type Daemon } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { query } from '../helpers/transport.js';

/**
 * Per-client rate limiting: a flood from one client prefix gets TC=1 past its burst while a
 * client of another prefix is answered normally; a client that shows a valid server cookie is
 * not limited; the site's own networks (here 127.0.0.1) are exempt. Bounded: 300 queries.
 */

let d: Daemon;
t.before(async () => {
  d = await startDaemon({
    copyZones: true,
    config: `server:
  listen:
    - { address: 127.0.0.1, port: 0 }
log: { level: info }
metrics: { enabled: true, listen: "127.0.0.1:0" }
rateLimit: { queriesPerSecond: 0.5, burst: 20, exempt: [127.0.0.1/32] }
zones:
  - { name: home.lan., file: zones/home.lan.zone }
`,
  });
});
t.teardown(() => d?.stop());

/** Sends `n` queries from `source` as fast as possible; resolves with how many answers had TC set, and how many came back. */
function flood(source: string, n: number): Promise<{ tc: number; answers: number }> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    let tc = 0;
    let answers = 0;
    const done = (): void => { s.close(); resolve({ tc, answers }); };
    const timer = setTimeout(done, 5000);
    s.on('message', (m) => {
      answers++;
      if ((m[2]! & 0x02) !== 0) tc++;
      if (answers === n) { clearTimeout(timer); done(); }
    });
    s.bind(0, source, () => {
      for (let i = 0; i < n; i++) s.send(query(i, 'host1.home.lan'), d.port, '127.0.0.1');
    });
  });
}

async function metric(action: string): Promise<number> {
  const text = await (await fetch(`http://${d.metrics!.address}:${d.metrics!.port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`horizond_dns_rate_limited_total{action="${action}"}`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

t.test('a flood from one client is limited while another client is not', async (t) => {
  const r = await flood('127.0.5.1', 200);
  t.ok(r.answers > 150, `answers came back (${r.answers})`);
  t.ok(r.tc >= r.answers - 25, `past the burst the flood gets TC=1 (${r.tc} of ${r.answers})`);
  t.ok(r.tc < r.answers, 'the burst itself was answered');

  const neighbour = await dig('127.0.0.1', d.port, 'host1.home.lan', 'A', ['-b', '127.0.5.9', '+ignore']);
  t.ok(neighbour.flags.includes('tc'), 'the same /24 shares the limit');
  t.same(neighbour.answer, []);
  const viaTcp = await dig('127.0.0.1', d.port, 'host1.home.lan', 'A', ['-b', '127.0.5.9']);
  t.equal(viaTcp.status, 'NOERROR', 'dig retries over TCP, which is not limited');
  t.match(viaTcp.answer.join('\n'), /192\.168\.1\.10/);

  const other = await dig('127.0.0.1', d.port, 'host1.home.lan', 'A', ['-b', '127.0.6.1']);
  t.equal(other.status, 'NOERROR', 'another prefix is answered');
  t.notOk(other.flags.includes('tc'));
  t.match(other.answer.join('\n'), /192\.168\.1\.10/);

  const exempt = await flood('127.0.0.1', 100);
  t.equal(exempt.tc, 0, 'an exempt network is never limited');
  t.ok(await metric('truncate') >= 150, 'counted');
});

t.test('a client with a valid server cookie passes the limit', async (t) => {
  const first = await dig('127.0.0.1', d.port, 'host1.home.lan', 'A', ['-b', '127.0.5.10', '+tcp', '+cookie=2464c4abcf10c957']);
  const cookie = /COOKIE: ([0-9a-f]{48})/.exec(first.opt.join('\n'))?.[1];
  t.ok(cookie, 'got a server cookie over TCP');
  await flood('127.0.5.11', 60); // empty the /24's bucket again
  const limited = await dig('127.0.0.1', d.port, 'host1.home.lan', 'A', ['-b', '127.0.5.10', '+ignore']);
  t.ok(limited.flags.includes('tc'), 'without the cookie: still limited');
  const withCookie = await dig('127.0.0.1', d.port, 'host1.home.lan', 'A', ['-b', '127.0.5.10', '+ignore', `+cookie=${cookie}`, '+nobadcookie']);
  t.equal(withCookie.status, 'NOERROR');
  t.notOk(withCookie.flags.includes('tc'), 'with it: answered over UDP');
  t.match(withCookie.answer.join('\n'), /192\.168\.1\.10/);
});
