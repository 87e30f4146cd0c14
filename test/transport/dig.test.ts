// The real clients (BIND's dig, Knot's kdig) against the listeners, over UDP and TCP, v4 and v6.
import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startListeners } from '../../src/transport/listeners.js';
import { TestHandler, udpBackends } from '../helpers/transport.js';

const run = promisify(execFile);

async function tool(cmd: 'dig' | 'kdig', args: string[]): Promise<string> {
  const common = cmd === 'dig' ? ['+tries=1', '+time=3', '+nocookie'] : ['+retry=0', '+timeout=3'];
  const { stdout } = await run(cmd, [...args, ...common], { timeout: 20_000 });
  return stdout;
}

/** `name. TTL IN A 192.0.2.1` lines of the answer sections, whitespace-normalised. */
function answers(out: string): string[] {
  return out
    .split('\n')
    .filter((l) => /\sIN\s+A\s/.test(l) && !l.startsWith(';'))
    .map((l) => l.trim().replace(/\s+/g, ' '));
}

// Every test runs against each UDP backend built here (node:dgram, and the native addon).
for (const be of udpBackends) t.test(`backend ${be.name}`, async (t) => {
  const handler = new TestHandler();
  const listeners = await startListeners(
    [
      { address: '127.0.0.1', port: 0, protocols: ['udp', 'tcp'] },
      { address: '::1', port: 0, protocols: ['udp', 'tcp'] },
    ],
    handler,
    { udp: { native: be.native } },
  );
  t.teardown(() => listeners.close());
  const port4 = listeners.bound()[0]!.port;
  const port6 = listeners.bound()[2]!.port;
  const [udp4, udp6] = listeners.udp;
  const [tcp4, tcp6] = listeners.tcp;

  t.test('dig over UDP (v4) gets a NOERROR answer', async (t) => {
    const out = await tool('dig', ['@127.0.0.1', '-p', String(port4), 'www.example.com', 'A']);
    t.match(out, /status: NOERROR/);
    t.match(out, /flags: qr aa rd;/);
    t.same(answers(out), ['www.example.com. 60 IN A 192.0.2.1']);
    t.equal(udp4!.counters.sent, 1);
  });

  t.test('dig +tcp (v6) gets the same answer over TCP', async (t) => {
    const out = await tool('dig', ['@::1', '-p', String(port6), '+tcp', 'www.example.com', 'A']);
    t.match(out, /status: NOERROR/);
    t.match(out, /\(TCP\)/);
    t.same(answers(out), ['www.example.com. 60 IN A 192.0.2.1']);
    t.equal(tcp6!.counters.sent, 1);
  });

  t.test('dig +tcp +keepopen: several queries on one connection', async (t) => {
    const before = tcp4!.counters.accepted;
    const out = await tool('dig', ['@127.0.0.1', '-p', String(port4), '+tcp', '+keepopen', 'a.example', 'A', 'b.example', 'A', 'c.example', 'A']);
    t.same(answers(out), ['a.example. 60 IN A 192.0.2.1', 'b.example. 60 IN A 192.0.2.1', 'c.example. 60 IN A 192.0.2.1']);
    t.equal(tcp4!.counters.accepted - before, 1, 'one connection for three queries');
  });

  t.test('kdig over UDP (v6) and TCP (v4), with EDNS', async (t) => {
    const u = await tool('kdig', ['@::1', '-p', String(port6), '+edns', 'k.example', 'A']);
    t.match(u, /status: NOERROR/);
    t.match(u, /EDNS PSEUDOSECTION/);
    t.same(answers(u), ['k.example. 60 IN A 192.0.2.1']);
    t.ok(udp6!.counters.sent >= 1);
    const tcp = await tool('kdig', ['@127.0.0.1', '-p', String(port4), '+tcp', 'k.example', 'A']);
    t.match(tcp, /status: NOERROR/);
    t.match(tcp, /TCP/);
    t.same(answers(tcp), ['k.example. 60 IN A 192.0.2.1']);
  });

  t.test('kdig +tcp +keepopen with several queries', async (t) => {
    const before = tcp4!.counters.accepted;
    const out = await tool('kdig', ['@127.0.0.1', '-p', String(port4), '+tcp', '+keepopen', 'x.example', 'A', 'y.example', 'A']);
    t.same(answers(out), ['x.example. 60 IN A 192.0.2.1', 'y.example. 60 IN A 192.0.2.1']);
    t.equal(tcp4!.counters.accepted - before, 1, 'one connection for two queries');
  });
});
