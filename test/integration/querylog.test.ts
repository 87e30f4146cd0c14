import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { MAIN, startDaemon, exampleConfig } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';

const run = promisify(execFile);

async function horizond(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [MAIN, ...args], { cwd, timeout: 20000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

t.test('the default SQLite sink: the CLI finds a query seconds after dig sent it', async (t) => {
  const d = await startDaemon({ config: exampleConfig(), copyZones: true, keepDir: false });
  t.teardown(() => d.stop());
  const cfg = join(d.dir, 'horizond.yaml');
  t.equal((await dig('127.0.0.1', d.port, 'nas.home.lan', 'A')).status, 'NOERROR');
  t.equal((await dig('127.0.0.1', d.port, 'nope.home.lan', 'AAAA', ['-b', '127.0.0.2'])).status, 'NXDOMAIN');

  let found: Record<string, unknown>[] = [];
  const started = Date.now();
  while (found.length < 2 && Date.now() - started < 20_000) {
    const r = await horizond(['log', 'search', '--config', cfg, '--since', '5m', '--name', 'home.lan', '--json'], d.dir);
    if (r.code === 0) found = JSON.parse(r.stdout).records;
    if (found.length < 2) await new Promise((res) => setTimeout(res, 200));
  }
  t.equal(found.length, 2, `both queries found after ${Date.now() - started} ms`);
  t.match(found[1], {
    client: '127.0.0.1', view: 'default', protocol: 'udp', qname: 'nas.home.lan.', qtype: 1, rcode: 0, source: 'authoritative',
    answers: ['192.168.1.20'], translated: false, blockedBy: null,
  });
  t.match(found[0], { client: '127.0.0.2', qname: 'nope.home.lan.', qtype: 28, rcode: 3 }, 'newest first');

  const byClient = await horizond(['log', 'search', '--config', cfg, '--client', '127.0.0.2/32', '--json'], d.dir);
  t.same(JSON.parse(byClient.stdout).records.map((r: { qname: string }) => r.qname), ['nope.home.lan.']);
  const byType = await horizond(['log', 'search', '--config', cfg, '--type', 'A', '--source', 'authoritative'], d.dir);
  t.equal(byType.code, 0);
  t.match(byType.stdout, /^TIME \(UTC\)\s+CLIENT/);
  t.match(byType.stdout, /127\.0\.0\.1\s+default\s+A\s+nas\.home\.lan\.\s+NOERROR\s+authoritative/);
  t.notMatch(byType.stdout, /nope\.home\.lan/);

  const top = await horizond(['log', 'top', '--config', cfg, '--since', '1h'], d.dir);
  t.equal(top.code, 0, top.stderr);
  t.match(top.stdout, /^2 queries from/);
  t.match(top.stdout, /Top names\n(.*\n)*\s+nas\.home\.lan\.\s+1/);
  t.match(top.stdout, /Top clients\n(.*\n)*\s+127\.0\.0\.2\s+1/);

  const bad = await horizond(['log', 'search', '--config', cfg, '--client', '192.168.1.0/40'], d.dir);
  t.equal(bad.code, 1, 'a bad prefix exits non-zero');
  t.match(bad.stderr, /query log: "192\.168\.1\.0\/40": prefix length must be 0\.\.32/);
  const badTime = await horizond(['log', 'search', '--config', cfg, '--since', 'last tuesday'], d.dir);
  t.equal(badTime.code, 1);
  t.match(badTime.stderr, /"last tuesday" is not a time/);
  const badOpt = await horizond(['log', 'search', '--config', cfg, '--colour'], d.dir);
  t.equal(badOpt.code, 2);
  t.match(badOpt.stderr, /unknown option --colour/);
});

t.test('a config without a searchable sink: the CLI says so', async (t) => {
  const d = await startDaemon({ config: exampleConfig('queryLog: { sinks: [] }\n'), copyZones: true });
  t.teardown(() => d.stop());
  const r = await horizond(['log', 'top', '--config', join(d.dir, 'horizond.yaml')], d.dir);
  t.equal(r.code, 1);
  t.match(r.stderr, /no searchable sink/);
});

t.test('a name blocked by a list is logged with source blocklist and its group', async (t) => {
  const d = await startDaemon({
    config: exampleConfig('forward: { upstreams: [ { address: 127.0.0.1, port: 9, protocol: udp } ] }\nblocking:\n  lists:\n    ads: [ads.txt]\n  answer: nxdomain\n'),
    copyZones: true,
    files: { 'ads.txt': 'tracker.example\n' },
  });
  t.teardown(() => d.stop());
  t.equal((await dig('127.0.0.1', d.port, 'pixel.tracker.example', 'A')).status, 'NXDOMAIN');
  const cfg = join(d.dir, 'horizond.yaml');
  let found: Record<string, unknown>[] = [];
  const started = Date.now();
  while (found.length === 0 && Date.now() - started < 20_000) {
    const r = await horizond(['log', 'search', '--config', cfg, '--blocked', '--json'], d.dir);
    if (r.code === 0) found = JSON.parse(r.stdout).records;
    if (found.length === 0) await new Promise((res) => setTimeout(res, 200));
  }
  t.match(found, [{ qname: 'pixel.tracker.example.', source: 'blocklist', blockedBy: 'ads', rcode: 3 }]);
  const top = await horizond(['log', 'top', '--config', cfg], d.dir);
  t.match(top.stdout, /Top blocked\n\s+pixel\.tracker\.example\.\s+1/);
});
