/**
 * Finding 5 of issue 13 against the real daemon: files the config names (the config itself,
 * secret files, zone files, $INCLUDE files, CA files) are read only when they are regular files,
 * and secrets and configs only up to a size cap. `/dev/zero`, a FIFO or an oversized secret is a
 * `file:line:col` config error at start, in `horizond check`, and on reload (the running config
 * stays and keeps answering). Kubernetes' symlinked Secret files still work.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { dig } from '../helpers/dig.js';
import { MAIN, ROOT, startDaemon } from '../helpers/daemon.js';

const run = promisify(execFile);
const SECRET = 'cmVndWxhciBmaWxlcyB0ZXN0IGtleSBmb3IgaG9yaXpvbmQ=';
const ZONE = readFileSync(join(ROOT, 'zones/home.lan.zone'), 'utf8');

function config(secretFile: string, zoneFile = 'home.lan.zone', extra = ''): string {
  return `server: { listen: [ { address: 127.0.0.1, port: 0 } ], dataDir: data }
metrics: { listen: "127.0.0.1:0" }
keys: [ { name: k., secretFile: ${secretFile} } ]
zones:
  - { name: home.lan., file: ${zoneFile}, allowInclude: true, update: { keys: [k.], networks: [127.0.0.1], rules: [ { name: { zone: true }, types: [A] } ] } }
${extra}`;
}

const dir = mkdtempSync(join(tmpdir(), 'horizond-regular-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'home.lan.zone'), ZONE);
writeFileSync(join(dir, 'big.secret'), 'A'.repeat(100 * 1024));
writeFileSync(join(dir, 'inc.zone'), `${ZONE}\n$INCLUDE /dev/zero\n`);
await run('mkfifo', [join(dir, 'fifo')]);
// Kubernetes mounts a Secret as <dir>/<key> -> ..data/<key>, ..data -> ..<timestamp>/.
mkdirSync(join(dir, 'secret', '..2026_01_01_00_00_00.1'), { recursive: true });
writeFileSync(join(dir, 'secret', '..2026_01_01_00_00_00.1', 'tsig'), `${SECRET}\n`);
symlinkSync('..2026_01_01_00_00_00.1', join(dir, 'secret', '..data'));
symlinkSync('..data/tsig', join(dir, 'secret', 'tsig'));

async function check(yaml: string, configPath?: string): Promise<{ code: number; out: string }> {
  const file = configPath ?? join(dir, 'check.yaml');
  if (configPath === undefined) writeFileSync(file, yaml);
  return run(process.execPath, [MAIN, 'check', '--config', file], { cwd: dir, timeout: 30_000 })
    .then((r) => ({ code: 0, out: r.stdout + r.stderr }), (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }));
}

t.test('horizond check refuses non-regular and oversized files with file:line:col, without hanging', async (t) => {
  let r = await check(config('/dev/zero'));
  t.not(r.code, 0);
  t.match(r.out, /check\.yaml:3:\d+: keys\[0\]\.secretFile: cannot read \/dev\/zero: is a character device, not a regular file/);
  r = await check(config(join(dir, 'fifo')));
  t.match(r.out, /check\.yaml:3:\d+: .*fifo: is a FIFO, not a regular file/, 'a FIFO with no writer does not block');
  r = await check(config('big.secret'));
  t.match(r.out, /check\.yaml:3:\d+: .*big\.secret: is 102400 bytes, more than the 65536 allowed/);
  r = await check(config('secret/tsig', '/dev/zero'));
  t.match(r.out, /check\.yaml:5:\d+: zones\[0\]\.file: cannot read \/dev\/zero: is a character device/);
  r = await check(config('secret/tsig', 'inc.zone'));
  t.not(r.code, 0);
  t.match(r.out, /inc\.zone:\d+:\d+: cannot read \$INCLUDE file \/dev\/zero: is a character device, not a regular file/);
  r = await check('', '/dev/zero');
  t.not(r.code, 0);
  t.match(r.out, /\/dev\/zero.*is a character device, not a regular file/, 'the config file itself');
  r = await check(config('secret/tsig'));
  t.equal(r.code, 0, `a Kubernetes-style symlinked secret is read: ${r.out}`);
});

t.test('the daemon refuses such a file at start and on reload, and keeps answering', async (t) => {
  writeFileSync(join(dir, 'start-bad.yaml'), config('/dev/zero'));
  const atStart = await run(process.execPath, [MAIN, '--config', join(dir, 'start-bad.yaml')], { cwd: dir, timeout: 30_000 }).then(() => 'started', (e: { stderr: string }) => e.stderr);
  t.match(atStart, /start-bad\.yaml:3:\d+: keys\[0\]\.secretFile: cannot read \/dev\/zero: is a character device/, 'refused at start');

  const home = mkdtempSync(join(tmpdir(), 'horizond-regular-daemon-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  writeFileSync(join(home, 'home.lan.zone'), ZONE);
  mkdirSync(join(home, 'secret', '..x'), { recursive: true });
  writeFileSync(join(home, 'secret', '..x', 'tsig'), SECRET);
  symlinkSync('..x', join(home, 'secret', '..data'));
  symlinkSync('..data/tsig', join(home, 'secret', 'tsig'));
  const d = await startDaemon({ dir: home, config: config('secret/tsig') });
  t.teardown(() => d.stop());
  d.proc.kill('SIGHUP');
  await d.waitLog((r) => r.msg === 'reloaded', 30_000);
  for (const [what, yaml] of [['secretFile /dev/zero', config('/dev/zero')], ['zone file /dev/zero', config('secret/tsig', '/dev/zero')]] as const) {
    const before = d.logs.filter((r) => r.result === 'error').length;
    writeFileSync(join(d.dir, 'horizond.yaml'), yaml);
    d.proc.kill('SIGHUP');
    const refused = await d.waitLog((r) => r.result === 'error' && d.logs.filter((x) => x.result === 'error').length > before, 30_000);
    t.match(refused.msg, /horizond\.yaml:\d+:\d+: .*\/dev\/zero: is a character device, not a regular file/, `${what}: reload refused with its position`);
    t.equal((await dig('127.0.0.1', d.port, 'host1.home.lan', 'A')).status, 'NOERROR', `${what}: still answering`);
  }
  const rss = await run('ps', ['-o', 'rss=', '-p', String(d.proc.pid)]);
  t.ok(Number(rss.stdout.trim()) < 1024 * 1024, `RSS ${rss.stdout.trim()} KiB: nothing was read from /dev/zero`);
});
