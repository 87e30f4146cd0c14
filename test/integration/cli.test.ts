import t, { type Test } from 'tap';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, writeFileSync, cpSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import dnsPacket from 'dns-packet';
import { MAIN, ROOT, startDaemon, exampleConfig } from '../helpers/daemon.js';
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

function workdir(t: Test, config: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'horizond-cli-'));
  cpSync(join(ROOT, 'zones'), join(dir, 'zones'), { recursive: true });
  writeFileSync(join(dir, 'horizond.yaml'), config);
  for (const [k, v] of Object.entries(files)) writeFileSync(join(dir, k), v);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('--version prints the package version', async (t) => {
  const r = await horizond(['--version'], ROOT);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  t.equal(r.stdout.trim(), `horizond ${pkg.version}`);
});

t.test('check: the shipped example config is valid', async (t) => {
  const r = await horizond(['check', '--config', 'config/horizond.yaml'], ROOT);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /zone home\.lan\. serial 2024060101/);
  t.match(r.stdout, /config\/horizond\.yaml: ok/);
});

t.test('check: a bad config is reported as file:line:col and exits non-zero', async (t) => {
  const dir = workdir(t, 'server:\n  listen:\n    - { address: 127.0.0.1, port: 70000 }\nzones: []\n');
  const r = await horizond(['check', '--config', 'horizond.yaml'], dir);
  t.not(r.code, 0);
  t.match(r.stderr, /^horizond\.yaml:3:\d+: server\.listen\[0\]\.port: .*65535/m);
});

t.test('check: unknown keys are errors', async (t) => {
  const dir = workdir(t, 'server:\n  lisen: []\n');
  const r = await horizond(['check', '--config', 'horizond.yaml'], dir);
  t.not(r.code, 0);
  t.match(r.stderr, /horizond\.yaml:2:3: .*lisen/);
});

t.test('check: a broken zone file is reported as file:line:col', async (t) => {
  const dir = workdir(t, exampleConfig(), {});
  writeFileSync(join(dir, 'zones/home.lan.zone'), readFileSync(join(ROOT, 'zones/home.lan.zone'), 'utf8').replace('host1           IN  A     192.168.1.10', 'host1           IN  A     192.168.1.300'));
  const r = await horizond(['check', '--config', 'horizond.yaml'], dir);
  t.equal(r.code, 1);
  t.match(r.stderr, /zones\/home\.lan\.zone:\d+:\d+: .*192\.168\.1\.300/);
});

t.test('zone dump prints the zone as served in master-file form', async (t) => {
  const dir = workdir(t, exampleConfig());
  const r = await horizond(['zone', 'dump', 'home.lan', '--config', 'horizond.yaml'], dir);
  t.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.equal(lines[0], '$ORIGIN home.lan.');
  t.match(lines[1], /^home\.lan\.\s+3600\s+IN\s+SOA\s+ns1\.home\.lan\. hostmaster\.home\.lan\. 2024060101/);
  t.ok(lines.some((l) => /^host1\.home\.lan\.\s+3600\s+IN\s+A\s+192\.168\.1\.10$/.test(l)));
  const unknown = await horizond(['zone', 'dump', 'nope.lan', '--config', 'horizond.yaml'], dir);
  t.equal(unknown.code, 1);
});

t.test('a zone that fails to load is skipped; the others keep serving', async (t) => {
  const d = await startDaemon({
    config: exampleConfig().replace('zones:\n', 'zones:\n  - { name: broken.lan., file: broken.zone }\n'),
    copyZones: true,
    files: { 'broken.zone': '$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns.broken.lan.\nbad A not-an-address\n' },
  });
  t.teardown(() => d.stop());
  const err = d.logs.find((r) => r.zone === 'broken.lan.' && r.level === 'error');
  t.ok(err, 'the failure is logged');
  t.match(String(err!.msg), /broken\.zone:4:\d+:/);
  const ready = d.logs.find((r) => r.msg === 'ready')!;
  t.same((ready.zones as { name: string }[]).map((z) => z.name).sort(), ['1.168.192.in-addr.arpa.', 'home.lan.']);
});

t.test('SIGTERM: stops accepting, finishes in-flight TCP answers, exits 0', async (t) => {
  const d = await startDaemon({ config: exampleConfig(), copyZones: true });
  const sock = connect(d.port, '127.0.0.1');
  await new Promise((r) => sock.on('connect', r));
  const q = dnsPacket.streamEncode({ type: 'query', id: 99, questions: [{ type: 'A', name: 'host1.home.lan' }] });
  const got = new Promise<Buffer>((resolve) => {
    let buf = Buffer.alloc(0);
    sock.on('data', (c) => { buf = Buffer.concat([buf, c]); if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) resolve(buf); });
  });
  sock.write(q);
  const answer = dnsPacket.streamDecode(await got);
  t.equal(answer.id, 99);
  const code = await d.stop('SIGTERM');
  t.equal(code, 0, 'exit status 0');
  t.ok(d.logs.some((r) => r.msg === 'stopped'));
  sock.destroy();
});

t.test('one data directory, one server: a second daemon is refused; a crashed owner is taken over', async (t) => {
  const first = await startDaemon({ config: exampleConfig(), copyZones: true, keepDir: true });
  t.teardown(() => rmSync(first.dir, { recursive: true, force: true }));
  const second = await horizondServe(first.dir);
  t.not(second.code, 0, 'the second server exits');
  t.match(second.stderr, /data directory .* is in use by horizond pid \d+/);
  t.equal((await dig('127.0.0.1', first.port, 'host1.home.lan', 'A')).status, 'NOERROR', 'the first one keeps serving');
  await first.stop('SIGKILL'); // the kernel drops the lock with its process
  const again = await startDaemon({ dir: first.dir });
  t.equal((await dig('127.0.0.1', again.port, 'host1.home.lan', 'A')).status, 'NOERROR', 'a restart after kill -9 takes the lock');
  await again.stop();
});

function horizondServe(dir: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [MAIN, '--config', join(dir, 'horizond.yaml')], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr!.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => p.kill('SIGKILL'), 10000);
    p.on('exit', (code) => { clearTimeout(timer); resolve({ code, stderr }); });
  });
}
