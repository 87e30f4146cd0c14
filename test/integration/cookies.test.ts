import t from 'tap';
import { startDaemon, type Daemon } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';

/**
 * DNS cookies (RFC 7873, RFC 9018) with the real dig: the server cookie dig gets back is
 * accepted on the next query, a tampered one gets BADCOOKIE over UDP (not over TCP), replicas
 * that share the secret accept each other's cookies, and a rotated secret keeps the previous one
 * valid.
 */

const S1 = '0123456789abcdef0123456789abcdef';
const S2 = 'fedcba9876543210fedcba9876543210';
const CLIENT = '2464c4abcf10c957';

function config(cookies: string): string {
  return `server:
  listen:
    - { address: 127.0.0.1, port: 0 }
log: { level: info }
metrics: { enabled: true, listen: "127.0.0.1:0" }
cookies: ${cookies}
zones:
  - { name: home.lan., file: zones/home.lan.zone }
`;
}

const daemons: Daemon[] = [];
async function daemon(cookies: string): Promise<Daemon> {
  const d = await startDaemon({ config: config(cookies), copyZones: true });
  daemons.push(d);
  return d;
}
t.teardown(() => Promise.all(daemons.map((d) => d.stop())));

/** Asks with a cookie; returns status and the cookie the server sent back (hex) with dig's verdict. */
async function ask(d: Daemon, cookie: string, extra: string[] = []): Promise<{ status: string; cookie: string; verdict: string; answer: string[] }> {
  const r = await dig('127.0.0.1', d.port, 'host1.home.lan', 'A', [`+cookie=${cookie}`, '+nobadcookie', ...extra]);
  const line = r.opt.find((l) => l.startsWith('COOKIE:')) ?? '';
  const m = /^COOKIE: ([0-9a-f]+)(?: \((\w+)\))?/.exec(line);
  return { status: r.status, cookie: m?.[1] ?? '', verdict: m?.[2] ?? '', answer: r.answer };
}

async function metric(d: Daemon, result: string): Promise<number> {
  const text = await (await fetch(`http://${d.metrics!.address}:${d.metrics!.port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`horizond_dns_cookies_total{result="${result}"}`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

t.test('dig +cookie: a server cookie comes back and is accepted on the next query', async (t) => {
  const d = await daemon(`{ secret: "${S1}" }`);
  const first = await ask(d, CLIENT);
  t.equal(first.status, 'NOERROR');
  t.match(first.answer.join('\n'), /192\.168\.1\.10/);
  t.equal(first.cookie.length, 48, 'client cookie + 16-byte server cookie');
  t.equal(first.cookie.slice(0, 16), CLIENT, 'our client cookie echoed');
  t.equal(first.cookie.slice(16, 24), '01000000', 'RFC 9018 version 1');
  t.equal(first.verdict, 'good', 'dig: good');
  t.equal(await metric(d, 'client-only'), 1);

  const second = await ask(d, first.cookie);
  t.equal(second.status, 'NOERROR', 'the server cookie is accepted');
  t.match(second.answer.join('\n'), /192\.168\.1\.10/);
  t.equal(second.verdict, 'good');
  t.equal(await metric(d, 'valid'), 1, 'counted as valid');

  const tampered = first.cookie.slice(0, 40) + (first.cookie.slice(40) === 'ffffffff' ? '00000000' : 'ffffffff');
  const bad = await ask(d, tampered);
  t.equal(bad.status, 'BADCOOKIE', 'a forged server cookie over UDP: BADCOOKIE');
  t.same(bad.answer, [], 'and no answer');
  t.equal(bad.cookie.length, 48, 'with a fresh cookie to retry with');
  const retry = await ask(d, bad.cookie);
  t.equal(retry.status, 'NOERROR', 'the fresh cookie works');
  const tcp = await ask(d, tampered, ['+tcp']);
  t.equal(tcp.status, 'NOERROR', 'over TCP the address is proven: answered');
  t.equal(await metric(d, 'invalid'), 2);

  const plain = await dig('127.0.0.1', d.port, 'host1.home.lan', 'A');
  t.notOk(plain.opt.some((l) => l.startsWith('COOKIE:')), 'no cookie asked, none sent');
});

t.test('replicas share the secret; a rotation keeps the previous secret valid', async (t) => {
  const a = await daemon(`{ secret: "${S1}" }`);
  const b = await daemon(`{ secret: "${S1}" }`);
  const rotated = await daemon(`{ secret: "${S2}", previousSecret: "${S1}" }`);
  const fresh = await daemon(`{ secret: "${S2}" }`);
  const got = await ask(a, CLIENT);
  t.equal((await ask(b, got.cookie)).status, 'NOERROR', 'a cookie from replica A is valid at replica B');
  t.equal((await ask(rotated, got.cookie)).status, 'NOERROR', 'still valid after the secret moved to previousSecret');
  t.equal((await ask(fresh, got.cookie)).status, 'BADCOOKIE', 'not at a server that no longer has the old secret');
});

t.test('requireServerCookie: UDP without a valid server cookie gets BADCOOKIE first', async (t) => {
  const d = await daemon(`{ secret: "${S1}", requireServerCookie: true }`);
  const first = await ask(d, CLIENT);
  t.equal(first.status, 'BADCOOKIE');
  const second = await ask(d, first.cookie);
  t.equal(second.status, 'NOERROR', 'answered once the client shows the server cookie');
  const viaTcp = await ask(d, CLIENT, ['+tcp']);
  t.equal(viaTcp.status, 'NOERROR', 'TCP needs no server cookie');
});
